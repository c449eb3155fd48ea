"""delivery: count events dead-lettered because a vendor module raised (delivery_stats.vendor_errors)

Revision ID: 0011_delivery_vendor_errors
Revises: 0004_delivery
Create Date: 2026-12-08 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_delivery_vendor_errors"
down_revision: str | Sequence[str] | None = "0004_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_stats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vendor_errors", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("delivery_stats", schema=None) as batch_op:
        batch_op.drop_column("vendor_errors")

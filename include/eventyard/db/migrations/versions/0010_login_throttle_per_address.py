"""login throttle per name and client address: email_hash (to clear a name), no locked_until

Revision ID: 0010_login_throttle_per_address
Revises: 0001
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_login_throttle_per_address"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rows are short-lived counters keyed by a new formula: starting empty loses nothing.
    op.execute(sa.text('DELETE FROM "login_throttle"'))
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_hash", sa.String(length=64), nullable=False))
        batch_op.drop_column("locked_until")
        batch_op.create_index(batch_op.f("ix_login_throttle_email_hash"), ["email_hash"], unique=False)


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM "login_throttle"'))
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_email_hash"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("email_hash")

"""delivery: per-integration batch ledger, pending retries, dead letters, stats and lease

Revision ID: 0004_delivery
Revises: 0001
Create Date: 2026-11-26 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_delivery"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def _integration_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["integration_id"],
        ["integrations.id"],
        name=op.f(f"fk_{table}_integration_id_integrations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "delivery_ledger",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.String(length=128), nullable=False),
        sa.Column("batch_seq", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("dead_lettered", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("batch_created_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("done_at", _TS, nullable=True),
        _integration_fk("delivery_ledger"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_ledger")),
        sa.UniqueConstraint("integration_id", "batch_id", name=op.f("uq_delivery_ledger_integration_id")),
    )
    op.create_index(
        op.f("ix_delivery_ledger_integration_id"), "delivery_ledger", ["integration_id"], unique=False
    )
    op.create_table(
        "delivery_pending",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.String(length=128), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", _TS, nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        _integration_fk("delivery_pending"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_pending")),
    )
    op.create_index(
        "ix_delivery_pending_due", "delivery_pending", ["integration_id", "next_attempt_at"], unique=False
    )
    op.create_table(
        "delivery_dead_letters",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.String(length=128), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("replayed_at", _TS, nullable=True),
        _integration_fk("delivery_dead_letters"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_dead_letters")),
    )
    op.create_index(
        op.f("ix_delivery_dead_letters_org_id"), "delivery_dead_letters", ["org_id"], unique=False
    )
    op.create_index(
        "ix_delivery_dead_letters_open",
        "delivery_dead_letters",
        ["integration_id", "replayed_at"],
        unique=False,
    )
    op.create_table(
        "delivery_stats",
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("retried", sa.BigInteger(), nullable=False),
        sa.Column("dead_lettered", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False),
        sa.Column("replayed", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", _TS, nullable=True),
        sa.Column("last_delivered_at", _TS, nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        _integration_fk("delivery_stats"),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_delivery_stats")),
    )


def downgrade() -> None:
    op.drop_table("delivery_stats")
    op.drop_index("ix_delivery_dead_letters_open", table_name="delivery_dead_letters")
    op.drop_index(op.f("ix_delivery_dead_letters_org_id"), table_name="delivery_dead_letters")
    op.drop_table("delivery_dead_letters")
    op.drop_index("ix_delivery_pending_due", table_name="delivery_pending")
    op.drop_table("delivery_pending")
    op.drop_index(op.f("ix_delivery_ledger_integration_id"), table_name="delivery_ledger")
    op.drop_table("delivery_ledger")

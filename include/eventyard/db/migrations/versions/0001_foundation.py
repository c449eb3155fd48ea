"""foundation: accounts, organizations, sources, connections, integrations, batch manifest

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:48:39.267985
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from eventyard.db.migrations.columns import (
    index,
    key,
    org_table,
    primary_key,
    references,
    serial,
    timestamp,
)

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# In creation order: each table after the ones it refers to (downgrade drops them in reverse).
TABLES = (
    "batches",
    "login_throttle",
    "organizations",
    "users",
    "api_keys",
    "connections",
    "email_tokens",
    "memberships",
    "sources",
    "integrations",
)


def upgrade() -> None:
    op.create_table(
        "batches",
        serial("seq"),
        sa.Column("id", sa.String(length=128), nullable=False),
        key("source_id"),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        timestamp("min_received_at", nullable=True),
        timestamp("max_received_at", nullable=True),
        timestamp("created_at"),
        primary_key("batches", "seq"),
        sa.UniqueConstraint("id", name=op.f("uq_batches_id")),
    )
    index("batches", "source_id")
    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        timestamp("window_started_at"),
        timestamp("locked_until", nullable=True),
        primary_key("login_throttle", "key_hash"),
    )
    op.create_table(
        "organizations",
        key("id"),
        sa.Column("name", sa.String(length=200), nullable=False),
        timestamp("created_at"),
        primary_key("organizations"),
    )
    op.create_table(
        "users",
        key("id"),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        timestamp("confirmed_at", nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        timestamp("created_at"),
        primary_key("users"),
    )
    index("users", "email", unique=True)
    org_table(
        "api_keys",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "role", sa.Enum("OWNER", "USER", name="role", native_enum=False, length=16), nullable=False
        ),
        key("created_by", nullable=True),
        timestamp("created_at"),
        timestamp("last_used_at", nullable=True),
        timestamp("revoked_at", nullable=True),
        references("api_keys", "created_by", "users", ondelete="SET NULL"),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    index("api_keys", "prefix")
    org_table(
        "connections",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("integration_code", sa.String(length=64), nullable=False),
        sa.Column("connection_prototype_id", sa.String(length=64), nullable=False),
        sa.Column("details_encrypted", sa.LargeBinary(), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
    )
    op.create_table(
        "email_tokens",
        key("id"),
        key("user_id"),
        sa.Column(
            "purpose",
            sa.Enum(
                "CONFIRM_EMAIL", "INVITE", "RESET_PASSWORD", name="tokenpurpose", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        timestamp("expires_at"),
        timestamp("used_at", nullable=True),
        timestamp("created_at"),
        references("email_tokens", "user_id", "users"),
        primary_key("email_tokens"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_tokens_token_hash")),
    )
    index("email_tokens", "user_id")
    org_table(
        "memberships",
        key("user_id"),
        sa.Column(
            "role", sa.Enum("OWNER", "USER", name="role", native_enum=False, length=16), nullable=False
        ),
        timestamp("created_at"),
        references("memberships", "user_id", "users"),
        sa.UniqueConstraint("org_id", "user_id", name=op.f("uq_memberships_org_id")),
    )
    index("memberships", "user_id")
    org_table(
        "sources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        timestamp("deleted_at", nullable=True),
    )
    org_table(
        "integrations",
        key("app_id"),
        key("connection_id"),
        sa.Column("integration_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
        references("integrations", "app_id", "sources"),
        references("integrations", "connection_id", "connections", ondelete="RESTRICT"),
    )
    for column in ("app_id", "connection_id", "integration_code"):
        index("integrations", column)


def downgrade() -> None:
    # Dropping a table drops its indexes and keys.
    for table in reversed(TABLES):
        op.drop_table(table)

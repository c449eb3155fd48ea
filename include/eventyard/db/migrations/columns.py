"""The column sets, keys and indexes the revisions share, named as the models' naming convention
names them (``pk_<table>``, ``fk_<table>_<column>_<target>``, ``ix_<table>_<column>``).

Frozen with the revisions: a database already upgraded must be what a fresh upgrade builds, so
a change here changes every revision that uses it. tests/test_foundation.py compares the schema
a fresh ``upgrade`` builds (SQLite and Postgres) with the recorded one.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

# An autoincrementing key: BIGSERIAL on Postgres; SQLite autoincrements only an INTEGER primary key.
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def key(name: str, *, nullable: bool = False) -> sa.Column[str]:
    """A 32-character row id (``id``, ``org_id``, ``user_id``, ``integration_id`` ...)."""
    return sa.Column(name, sa.String(length=32), nullable=nullable)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    """A timezone-aware timestamp (``created_at``, ``updated_at`` ...)."""
    return sa.Column(name, TS, nullable=nullable)


def serial(name: str) -> sa.Column[int]:
    """An autoincrementing 64-bit key (32-bit on SQLite)."""
    return sa.Column(name, SERIAL, autoincrement=True, nullable=False)


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """``pk_<table>`` on ``columns`` (``id`` when none are named)."""
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def references(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    """``table.column`` refers to ``target.id``; by default its rows go when the target row goes."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def index(table: str, column: str, *, unique: bool = False) -> None:
    """``ix_<table>_<column>`` on one column."""
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=unique)


def org_table(table: str, *items: SchemaItem) -> None:
    """A table of rows an organization owns: ``id``, ``org_id`` (indexed; the rows go with the
    organization), then ``items`` (the other columns and constraints)."""
    op.create_table(
        table,
        key("id"),
        key("org_id"),
        *items,
        references(table, "org_id", "organizations"),
        primary_key(table),
    )
    index(table, "org_id")

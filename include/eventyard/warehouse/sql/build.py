"""The one SQL builder: generic DDL and the quoted pieces that templates are filled with.

Statements whose shape every SQL warehouse shares (CREATE SCHEMA / TABLE, ALTER TABLE ADD
COLUMN, temp and DROP TABLE) are built here, once; what differs
is read from the dialect (quoting, type names, NOT NULL keys, PRIMARY KEY, IF NOT EXISTS,
table attributes). Everything dialect-specific (merge, users upsert, COPY, catalog lookups) is a template in
``warehouse_sql/<dialect>/``. Every identifier goes through ``dialect.quote``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from eventyard.warehouse.types import ROW_COLUMN, SOURCE_COLUMN, Logical, TableRows

Quote = Callable[[str], str]


class SqlDialect(Protocol):
    """What the builder needs from a dialect (``eventyard.warehouse.dialects.base.Dialect``)."""

    @property
    def key_not_null(self) -> bool: ...

    @property
    def primary_key(self) -> bool: ...

    @property
    def add_column_if_not_exists(self) -> bool: ...

    def quote(self, identifier: str) -> str: ...

    def qualified(self, schema: str, table: str) -> str: ...

    def type_for(self, logical: Logical) -> str: ...

    def table_attributes(self, columns: Mapping[str, Logical]) -> str: ...


# ---- pieces --------------------------------------------------------------------------------
def column_list(quote: Quote, names: Iterable[str], prefix: str = "") -> str:
    """``"a", "b"`` (or ``s."a", s."b"`` with ``prefix="s."``)."""
    return ", ".join(prefix + quote(n) for n in names)


def assignments(quote: Quote, names: Iterable[str], source: str = "s") -> str:
    """``"a" = s."a", "b" = s."b"`` (an UPDATE's SET list)."""
    return ", ".join(f"{quote(n)} = {source}.{quote(n)}" for n in names)


def key_match(quote: Quote, key: tuple[str, ...]) -> str:
    """``t."k" = s."k" AND ...`` (NULL-safe when the key has several columns)."""
    if len(key) == 1:
        return f"t.{quote(key[0])} = s.{quote(key[0])}"
    return " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM s.{quote(k)}" for k in key)


def stage_select_list(d: SqlDialect, target_columns: Mapping[str, Logical], staged: Iterable[str]) -> str:
    """The staged side of the users union: the target's columns, a typed NULL where the stage
    lacks one (so the stored value wins)."""
    have = set(staged)
    return ", ".join(
        d.quote(c) if c in have else f"CAST(NULL AS {d.type_for(t)}) AS {d.quote(c)}"
        for c, t in target_columns.items()
    )


def users_aggregates(quote: Quote, columns: Iterable[str]) -> str:
    """Per column the latest non-null value by received_at; ties keep the stored row
    (Postgres and DuckDB: ordered ``array_agg`` with ``FILTER``)."""
    order = f"{quote('received_at')} DESC, {quote(SOURCE_COLUMN)}, {quote(ROW_COLUMN)} DESC"
    parts = []
    for name in columns:
        q = quote(name)
        if name == "id":
            continue
        if name == "received_at":
            parts.append(f"max({q}) AS {q}")
        elif name == "uuid_ts":
            parts.append(f"(array_agg({q} ORDER BY {order}))[1] AS {q}")
        else:
            parts.append(f"(array_agg({q} ORDER BY {order}) FILTER (WHERE {q} IS NOT NULL))[1] AS {q}")
    return ", ".join(parts)


def users_upsert_parts(
    d: SqlDialect, schema: str, rows: TableRows, stage: str, target_columns: Mapping[str, Logical]
) -> dict[str, str]:
    """The pieces of the ``users_upsert`` + ``users_replace`` templates of Postgres and DuckDB."""
    return {
        "target": d.qualified(schema, rows.name),
        "stage": d.quote(stage),
        "merged": d.quote(f"{stage}_merged"),
        "id": d.quote("id"),
        "columns": column_list(d.quote, target_columns),
        "stage_columns": stage_select_list(d, target_columns, rows.columns),
        "aggregates": users_aggregates(d.quote, target_columns),
    }


# ---- statements ----------------------------------------------------------------------------
def create_schema(d: SqlDialect, schema: str) -> str:
    """``CREATE SCHEMA IF NOT EXISTS "schema"``."""
    return f"CREATE SCHEMA IF NOT EXISTS {d.quote(schema)}"


def create_table(
    d: SqlDialect, schema: str, table: str, columns: Mapping[str, Logical], key: tuple[str, ...]
) -> str:
    """One Segment-layout table: one line per column, NOT NULL keys and a PRIMARY KEY where the
    dialect has them (none for an empty key), then the dialect's table attributes (Redshift's
    SORTKEY)."""
    lines = [
        f"    {d.quote(c)} {d.type_for(t)}{' NOT NULL' if d.key_not_null and c in key else ''}"
        for c, t in columns.items()
    ]
    if d.primary_key and key:
        lines.append(f"    PRIMARY KEY ({column_list(d.quote, key)})")
    body = ",\n".join(lines)
    target = d.qualified(schema, table)
    return f"CREATE TABLE IF NOT EXISTS {target} (\n{body}\n){d.table_attributes(columns)}"


def add_column(d: SqlDialect, schema: str, table: str, column: str, logical: Logical) -> str:
    """``ALTER TABLE ... ADD COLUMN [IF NOT EXISTS] "column" type`` (one column per statement,
    as Redshift requires)."""
    guard = " IF NOT EXISTS" if d.add_column_if_not_exists else ""
    target = d.qualified(schema, table)
    return f"ALTER TABLE {target} ADD COLUMN{guard} {d.quote(column)} {d.type_for(logical)}"


def temp_table(d: SqlDialect, name: str, physical_columns: Mapping[str, str]) -> str:
    """A session temp table (a stage) with columns of already physical types."""
    definitions = ", ".join(f"{d.quote(c)} {t}" for c, t in physical_columns.items())
    return f"CREATE TEMP TABLE {d.quote(name)} ({definitions})"


def drop_table(d: SqlDialect, name: str) -> str:
    """``DROP TABLE IF EXISTS "name"`` (an unqualified stage or temp table)."""
    return f"DROP TABLE IF EXISTS {d.quote(name)}"

"""The Dialect interface: everything that differs between table warehouses, behind one loading algorithm.

The loader (``eventyard.warehouse.loader``) never branches on the warehouse: it asks the dialect
for the existing columns, creates/evolves tables, and calls ``merge`` (stage -> insert rows whose
key is new, in one transaction) or ``merge`` on the users table (stage -> per-column latest
non-null upsert). Identifier rules (length, reserved words) are class attributes, so the naming
module can apply them without a connection.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from eventyard.warehouse.errors import WarehouseError
from eventyard.warehouse.sql import Templates, build
from eventyard.warehouse.target import Target
from eventyard.warehouse.types import ROW_COLUMN, Logical, TableRows

# SQL:2016 reserved words plus the ones Postgres, DuckDB and Redshift add. A column or table
# named like one of these is prefixed with "_" (Segment does this for Redshift: `open` -> `_open`).
_RESERVED_TEXT = """
all analyse analyze and any array as asc asymmetric authorization between binary both case cast
check collate collation column concurrently constraint create cross current_catalog current_date
current_role current_schema current_time current_timestamp current_user default deferrable desc
distinct do else end except false fetch for foreign freeze from full grant group having ilike in
initially inner intersect into is isnull join lateral leading left like limit localtime
localtimestamp natural not notnull null offset on only or order outer overlaps placing primary
references returning right select session_user similar some symmetric system_user table
tablesample then to trailing true union unique user using variadic verbose when where window
with
"""
SQL_RESERVED = frozenset(_RESERVED_TEXT.split())

__all__ = [
    "ROW_COLUMN",
    "SQL_RESERVED",
    "DeleteInsertUsersDialect",
    "Dialect",
    "WarehouseError",
    "first_per_key",
]


class Dialect(Target):
    """One warehouse: naming rules, type mapping, a session, and the primitives of the loading
    algorithm. Generic DDL comes from ``eventyard.warehouse.sql.build``; the dialect's own SQL
    from its templates (``self.sql``), so merge, compare and quality code can reuse both:
    ``with dialect: dialect.query(dialect.sql.statement(name, target=dialect.qualified(s, t)))``.
    """

    name: ClassVar[str]
    # This dialect's folder of warehouse_sql/.
    sql: ClassVar[Templates]
    max_identifier_length: ClassVar[int] = 63
    reserved_words: ClassVar[frozenset[str]] = SQL_RESERVED
    # BigQuery column names must start with a letter or underscore; Postgres/DuckDB quote anything.
    identifier_needs_leading_letter: ClassVar[bool] = False
    # Segment adds `loaded_at` only on BigQuery.
    supports_loaded_at: ClassVar[bool] = False
    # Whether merge + DDL run in one transaction (for docs/reporting; the loader does not branch).
    supports_transactions: ClassVar[bool] = True
    # DDL shape (see sql.build.create_table / add_column).
    key_not_null: ClassVar[bool] = True
    primary_key: ClassVar[bool] = False
    add_column_if_not_exists: ClassVar[bool] = True

    # ---- identifiers and types -------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        """Quote an identifier (doubling embedded quotes), so any name is safe in SQL."""
        if "\x00" in identifier:
            raise ValueError("identifiers cannot contain NUL")
        return '"' + identifier.replace('"', '""') + '"'

    def qualified(self, schema: str, table: str) -> str:
        """``"schema"."table"``."""
        return f"{self.quote(schema)}.{self.quote(table)}"

    # The physical column type of each logical type.
    TYPES: ClassVar[Mapping[str, str]]

    def type_for(self, logical: Logical) -> str:
        """The physical column type for a logical type."""
        return self.TYPES[logical]

    @abc.abstractmethod
    def logical_for(self, physical: str) -> Logical:
        """The logical type of an existing physical column (unknown types count as text)."""

    def merge_params(self, schema: str, rows: TableRows, stage: str) -> dict[str, str]:
        """What every dialect's ``merge`` template is given: the target table, the stage (as the
        dialect names it), the column list and the key match; a dialect adds its own."""
        return {
            "target": self.qualified(schema, rows.name),
            "stage": stage,
            "columns": build.column_list(self.quote, rows.columns),
            "key_match": build.key_match(self.quote, rows.key),
        }

    def table_attributes(self, columns: Mapping[str, Logical]) -> str:
        """What follows a CREATE TABLE's column list (nothing, except Redshift's SORTKEY)."""
        return ""

    # ---- session (connect / close / is_terminal: Target) ------------------------------------
    @abc.abstractmethod
    def run(self, statements: Sequence[str]) -> None:
        """Execute statements in order (each committed unless a transaction is open)."""

    @abc.abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of one query as dicts; ``params`` bind to the driver's markers (``%s``, ``?``)."""

    # ---- schema ----------------------------------------------------------------------------
    def ensure_schema(self, schema: str) -> None:
        """Create the schema (dataset) if it does not exist."""
        self.run([build.create_schema(self, schema)])

    def table_names(self, schema: str) -> list[str]:
        """The schema's tables, sorted (none when the schema does not exist)."""
        return [str(r["table_name"]) for r in self.query(self.sql.statement("tables"), (schema,))]

    def existing_columns(self, schema: str, table: str) -> dict[str, Logical] | None:
        """The table's columns and their logical types, or None when the table does not exist."""
        rows = self.query(self.sql.statement("columns"), (schema, table))
        if not rows:
            return None
        return {str(r["column_name"]): self.logical_for(str(r["data_type"])) for r in rows}

    def create_table_sql(
        self, schema: str, table: str, columns: Mapping[str, Logical], key: tuple[str, ...]
    ) -> str:
        """The CREATE TABLE statement (golden-tested)."""
        return build.create_table(self, schema, table, columns, key)

    def create_table(
        self, schema: str, table: str, columns: Mapping[str, Logical], key: tuple[str, ...]
    ) -> None:
        """Create a table (if not exists) with these columns; ``key`` is the dedupe key."""
        self.run([self.create_table_sql(schema, table, columns, key)])

    def add_columns_sql(self, schema: str, table: str, columns: Mapping[str, Logical]) -> list[str]:
        """One ALTER TABLE ADD COLUMN per column (golden-tested)."""
        return [build.add_column(self, schema, table, c, t) for c, t in columns.items()]

    def add_columns(self, schema: str, table: str, columns: Mapping[str, Logical]) -> None:
        """Add the columns the table lacks (checked first where ADD COLUMN has no IF NOT EXISTS)."""
        if not self.add_column_if_not_exists:
            existing = self.existing_columns(schema, table) or {}
            columns = {c: t for c, t in columns.items() if c not in existing}
        self.run(self.add_columns_sql(schema, table, columns))

    @abc.abstractmethod
    @contextmanager
    def table_lock(self, schema: str, table: str) -> Iterator[None]:
        """Hold an exclusive lock on one table so two loads never evolve or merge it at once."""
        yield

    # ---- data ------------------------------------------------------------------------------
    @abc.abstractmethod
    @contextmanager
    def staged(self, schema: str, rows: TableRows) -> Iterator[Any]:
        """Stage ``rows`` (temp table, S3 Parquet, load job...) and yield a handle; clean up after."""
        yield None

    @abc.abstractmethod
    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        """Insert staged rows whose ``rows.key`` is not yet in the target, in one transaction.

        Duplicates inside the stage keep their first occurrence. Returns the rows inserted.
        """

    @abc.abstractmethod
    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        """Upsert the users table: per id and per column, the latest non-null value by received_at.

        Existing rows take part in the comparison, so a late, older identify never overwrites a
        newer value. Returns the number of user rows written.
        """

    def merge(self, schema: str, rows: TableRows) -> int:
        """Stage then merge (or upsert, for ``users``) one table's rows; returns rows written.

        The staged data carries ``__eventyard_row`` (the row's position in the batch). Event rows
        are deduplicated on the key before staging (first occurrence wins), so the merge itself
        only has to skip keys the target already has.
        """
        if rows.num_rows == 0:
            return 0
        prepared = rows if rows.kind == "users" else first_per_key(rows)
        prepared = prepared.with_data(
            prepared.columns,
            prepared.data.append_column(ROW_COLUMN, pa.array(range(prepared.num_rows), type=pa.int64())),
        )
        with self.staged(schema, prepared) as staged:
            if rows.kind == "users":
                return self.upsert_users_staged(schema, prepared, staged)
            return self.merge_staged(schema, prepared, staged)


class DeleteInsertUsersDialect(Dialect):
    """A dialect whose users upsert is its ``users_upsert`` then ``users_replace`` templates:
    a merged temp table, delete-matching + insert, drop (DuckDB and Postgres)."""

    def users_sql(
        self, schema: str, rows: TableRows, stage: str, target_columns: Mapping[str, Logical]
    ) -> list[str]:
        """The users upsert statements, in order (golden-tested)."""
        parts = build.users_upsert_parts(self, schema, rows, stage, target_columns)
        return [*self.sql.statements("users_upsert", **parts), *self.sql.statements("users_replace", **parts)]


def first_per_key(rows: TableRows) -> TableRows:
    """``rows`` without later repeats of a key (vectorized; a no-op when keys are unique)."""
    data = rows.data
    keys = list(rows.key)
    if len(keys) == 1 and pc.count_distinct(data.column(keys[0]), mode="all").as_py() == data.num_rows:
        return rows
    index = pa.array(range(data.num_rows), type=pa.int64())
    firsts = (
        data.select(keys)
        .append_column(ROW_COLUMN, index)
        .group_by(keys, use_threads=False)
        .aggregate([(ROW_COLUMN, "min")])
        .column(f"{ROW_COLUMN}_min")
    )
    return rows.with_data(rows.columns, data.take(pc.take(firsts, pc.sort_indices(firsts))))

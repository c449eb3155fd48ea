"""Postgres: staged by binary COPY (encoded from Arrow by pgpq) into a temp table, then merged.

Temp tables are never WAL-logged, so staging costs little more than the COPY itself; the merge
is one INSERT ... SELECT that skips ids the target already has (the target's primary key makes
that an index probe). Each table is guarded by a session-level advisory lock, so two loads never
evolve or merge the same table at once.

Connection details: ``url`` (a libpq URI) or ``host``, ``port``, ``database``, ``user``,
``password``, ``sslmode``.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eventyard.warehouse.common_sql import column_list, key_match, stage_select_list, users_aggregates
from eventyard.warehouse.dialects.base import ROW_COLUMN, SQL_RESERVED, Dialect, WarehouseError, first_per_key
from eventyard.warehouse.sql import render, render_statements
from eventyard.warehouse.types import Logical, TableRows

_TYPES: dict[str, str] = {
    "timestamp": "timestamp with time zone",
    "bigint": "bigint",
    "double": "double precision",
    "boolean": "boolean",
    "text": "text",
}
_stage_ids = itertools.count()


def conninfo(details: dict[str, Any]) -> str:
    """A libpq connection string from connection details."""
    url = details.get("url") or details.get("dsn")
    if url:
        return str(url).replace("postgresql+psycopg://", "postgresql://")
    from psycopg.conninfo import make_conninfo

    keys = {"host": "host", "port": "port", "database": "dbname", "dbname": "dbname", "user": "user",
            "username": "user", "password": "password", "sslmode": "sslmode"}  # fmt: skip
    params = {libpq: str(details[k]) for k, libpq in keys.items() if details.get(k) not in (None, "")}
    return make_conninfo("", **params)


def _lock_key(schema: str, table: str) -> int:
    digest = hashlib.sha1(f"eventyard.warehouse:{schema}.{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _has_nul(column: pa.ChunkedArray) -> bool:
    """Whether any string in the column contains NUL (a memchr-speed scan of the data buffers)."""
    for chunk in column.chunks:
        data = chunk.buffers()[2]
        if data is not None and len(chunk) and np.frombuffer(data, dtype=np.uint8).min(initial=1) == 0:
            return True
    return False


def _without_nul(data: pa.Table) -> pa.Table:
    """Postgres text cannot hold NUL characters: drop them (the only lossy step, and a rare one)."""
    columns = []
    for column in data.columns:
        if pa.types.is_string(column.type) and _has_nul(column):
            column = pc.replace_substring(column, "\x00", "")
        columns.append(column)
    return pa.Table.from_arrays(columns, names=data.column_names)


class PostgresDialect(Dialect):
    """A Postgres warehouse (Segment's Postgres layout: ``id`` primary key, timestamptz, text)."""

    name: ClassVar[str] = "postgres"
    max_identifier_length: ClassVar[int] = 63  # NAMEDATALEN - 1 bytes; our names are ASCII
    reserved_words: ClassVar[frozenset[str]] = SQL_RESERVED

    def __init__(self, connection_details: dict[str, Any], settings: Any) -> None:
        super().__init__(connection_details, settings)
        self.conn: Any = None

    def type_for(self, logical: Logical) -> str:
        return _TYPES[logical]

    def logical_for(self, physical: str) -> Logical:
        lower = physical.lower()
        if lower.startswith("timestamp") or lower == "date":
            return "timestamp"
        if lower in {"bigint", "integer", "smallint"}:
            return "bigint"
        if lower in {"double precision", "real", "numeric"}:
            return "double"
        if lower == "boolean":
            return "boolean"
        return "text"

    def connect(self) -> None:
        import psycopg

        if self.conn is None:
            self.conn = psycopg.connect(conninfo(self.details), autocommit=True, connect_timeout=10)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _require(self) -> Any:
        if self.conn is None:
            raise WarehouseError("Postgres dialect used before connect()")
        return self.conn

    def ensure_schema(self, schema: str) -> None:
        import psycopg

        try:
            self._require().execute(f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}")
        except psycopg.errors.UniqueViolation:
            pass  # IF NOT EXISTS is not race-free: a concurrent load created it first

    def existing_columns(self, schema: str, table: str) -> dict[str, Logical] | None:
        rows = (
            self._require()
            .execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                (schema, table),
            )
            .fetchall()
        )
        if not rows:
            return None
        return {name: self.logical_for(physical) for name, physical in rows}

    def create_table(
        self, schema: str, table: str, columns: dict[str, Logical], key: tuple[str, ...]
    ) -> None:
        cols = [f"{self.quote(n)} {self.type_for(t)}{' NOT NULL' * (n in key)}" for n, t in columns.items()]
        cols.append(f"PRIMARY KEY ({column_list(self.quote, key)})")
        self._require().execute(
            f"CREATE TABLE IF NOT EXISTS {self.qualified(schema, table)} ({', '.join(cols)})"
        )

    def add_columns(self, schema: str, table: str, columns: dict[str, Logical]) -> None:
        conn = self._require()
        for name, logical in columns.items():
            conn.execute(
                f"ALTER TABLE {self.qualified(schema, table)} ADD COLUMN IF NOT EXISTS"
                f" {self.quote(name)} {self.type_for(logical)}"
            )

    @contextmanager
    def table_lock(self, schema: str, table: str) -> Iterator[None]:
        conn = self._require()
        key = _lock_key(schema, table)
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    @contextmanager
    def staged(self, schema: str, rows: TableRows) -> Iterator[str]:
        conn = self._require()
        name = f"eventyard_stage_{next(_stage_ids)}"
        definitions = [f"{self.quote(n)} {self.type_for(t)}" for n, t in rows.columns.items()]
        definitions.append(f"{self.quote(ROW_COLUMN)} bigint")
        conn.execute(f"CREATE TEMP TABLE {self.quote(name)} ({', '.join(definitions)})")
        try:
            columns = [*rows.columns, ROW_COLUMN]
            self.copy_encoded(self.quote(name), columns, self.encode_copy(columns, rows.data))
            yield name
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {self.quote(name)}")

    def encode_copy(self, columns: list[str], data: pa.Table) -> Iterator[bytes]:
        """The rows in Postgres' binary COPY format, encoded from Arrow in Rust (pgpq): no text
        formatting or parsing of numbers and timestamps on either side. Lazy, so that the server
        ingests one part while the next is encoded."""
        from pgpq import ArrowToPostgresBinaryEncoder

        table = _without_nul(data.select(columns))
        encoder = ArrowToPostgresBinaryEncoder(table.schema)
        yield encoder.write_header()
        for batch in table.to_batches(max_chunksize=16384):
            yield encoder.write_batch(batch)
        yield encoder.finish()

    def copy_encoded(self, target: str, columns: list[str], payload: Iterable[bytes]) -> None:
        """COPY encoded rows into ``target`` (an already quoted, possibly qualified name)."""
        statement = f"COPY {target} ({column_list(self.quote, columns)}) FROM STDIN (FORMAT binary)"
        with self._require().cursor() as cur, cur.copy(statement) as copy:
            for part in payload:
                copy.write(part)

    def _has_unique_key(self, schema: str, table: str, key: tuple[str, ...]) -> bool:
        """Whether the target has a unique index on exactly ``key`` (ours do; old Segment tables may not)."""
        found = self._require().execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = %s AND i.indisunique"
            " AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a"
            "      WHERE a.attrelid = c.oid AND a.attnum = ANY(i.indkey)) = %s",
            (schema, table, sorted(key)),
        )
        return found.fetchone() is not None

    def merge(self, schema: str, rows: TableRows) -> int:
        """Event tables keyed on ``id`` with a unique index: COPY the rows straight into the target
        (one write instead of stage + INSERT ... SELECT); everything else: stage and merge.

        New batches hold new messages, so the COPY is first tried as is: the primary key refuses
        it (and the transaction rolls back) if any id is already there or repeats. Only then are
        the new ids asked of the primary key and just those rows COPYed — still in one
        transaction, under the table lock, so nothing can slip in between.
        """
        if rows.kind in ("users", "discards") or rows.key != ("id",) or rows.num_rows == 0:
            return super().merge(schema, rows)
        if not self._has_unique_key(schema, rows.name, rows.key):
            return super().merge(schema, rows)
        import psycopg

        conn = self._require()
        target = self.qualified(schema, rows.name)
        columns = list(rows.columns)
        try:
            with conn.transaction():
                self.copy_encoded(target, columns, self.encode_copy(columns, rows.data))
            return rows.num_rows
        except psycopg.errors.UniqueViolation:
            pass  # a re-delivered message or a re-run: take the careful path
        fresh = first_per_key(rows).data
        ids_table = f"eventyard_ids_{next(_stage_ids)}"
        with conn.transaction():
            conn.execute(f"CREATE TEMP TABLE {self.quote(ids_table)} (id text) ON COMMIT DROP")
            self.copy_encoded(self.quote(ids_table), ["id"], self.encode_copy(["id"], fresh.select(["id"])))
            # Probe the primary key per id: a hash join would read the whole (wide) target each load.
            conn.execute("SET LOCAL enable_hashjoin = off")
            conn.execute("SET LOCAL enable_mergejoin = off")
            sql = render("postgres", "existing_ids", target=target, ids=self.quote(ids_table))
            existing = [row[0] for row in conn.execute(sql).fetchall()]
            if existing:
                keep = pc.invert(pc.is_in(fresh.column("id"), value_set=pa.array(existing, pa.string())))
                fresh = fresh.filter(keep)
            if fresh.num_rows:
                self.copy_encoded(target, columns, self.encode_copy(columns, fresh))
        return int(fresh.num_rows)

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        conn = self._require()
        # With a unique key, ON CONFLICT probes the index the insert maintains anyway; without one,
        # an anti-join is the only way.
        template = "merge_on_conflict" if self._has_unique_key(schema, rows.name, rows.key) else "merge"
        sql = render(
            "postgres",
            template,
            target=self.qualified(schema, rows.name),
            stage=self.quote(staged),
            columns=column_list(self.quote, rows.columns),
            key_match=key_match(self.quote, rows.key),
            key=column_list(self.quote, rows.key),
        )
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(sql)
            return int(cur.rowcount)

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        conn = self._require()
        target_columns = list(self.existing_columns(schema, rows.name) or rows.columns)
        ids = {
            "target": self.qualified(schema, rows.name),
            "stage": self.quote(staged),
            "merged": self.quote(f"{staged}_merged"),
            "id": self.quote("id"),
            "columns": column_list(self.quote, target_columns),
            "stage_columns": stage_select_list(self.quote, target_columns, set(rows.columns)),
            "aggregates": users_aggregates(self.quote, target_columns),
        }
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(render("postgres", "users_upsert", **ids))
            written = int(cur.rowcount)
            for statement in render_statements("postgres", "users_replace", **ids):
                cur.execute(statement)
            cur.execute(f"DROP TABLE {ids['merged']}")
        return written

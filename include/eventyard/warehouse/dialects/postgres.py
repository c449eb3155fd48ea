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
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eventyard.warehouse.dialects.base import (
    ROW_COLUMN,
    SQL_RESERVED,
    DeleteInsertUsersDialect,
    first_per_key,
)
from eventyard.warehouse.dialects.pg_wire import PgWireSession
from eventyard.warehouse.sql import Templates, build
from eventyard.warehouse.types import Logical, TableRows

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


class PostgresDialect(PgWireSession, DeleteInsertUsersDialect):
    """A Postgres warehouse (Segment's Postgres layout: ``id`` primary key, timestamptz, text)."""

    name: ClassVar[str] = "postgres"
    sql: ClassVar[Templates] = Templates("postgres")
    TYPES: ClassVar[Mapping[str, str]] = {
        "timestamp": "timestamp with time zone",
        "bigint": "bigint",
        "double": "double precision",
        "boolean": "boolean",
        "text": "text",
    }
    max_identifier_length: ClassVar[int] = 63  # NAMEDATALEN - 1 bytes; our names are ASCII
    reserved_words: ClassVar[frozenset[str]] = SQL_RESERVED
    primary_key: ClassVar[bool] = True
    conn: Any = None  # psycopg.Connection once connected

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

    def ensure_schema(self, schema: str) -> None:
        import psycopg

        try:
            super().ensure_schema(schema)
        except psycopg.errors.UniqueViolation:
            pass  # IF NOT EXISTS is not race-free: a concurrent load created it first

    @contextmanager
    def table_lock(self, schema: str, table: str) -> Iterator[None]:
        key = (_lock_key(schema, table),)
        self.query(self.sql.statement("lock"), key)
        try:
            yield
        finally:
            self.query(self.sql.statement("unlock"), key)

    @contextmanager
    def staged(self, schema: str, rows: TableRows) -> Iterator[str]:
        name = f"eventyard_stage_{next(_stage_ids)}"
        physical = {**{c: self.type_for(t) for c, t in rows.columns.items()}, ROW_COLUMN: "bigint"}
        self.run([build.temp_table(self, name, physical)])
        try:
            columns = [*rows.columns, ROW_COLUMN]
            self.copy_encoded(self.quote(name), columns, self.encode_copy(columns, rows.data))
            yield name
        finally:
            self.run([build.drop_table(self, name)])

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

    def copy_sql(self, target: str, columns: list[str]) -> str:
        """The binary COPY into ``target`` (an already quoted, possibly qualified name)."""
        listed = build.column_list(self.quote, columns)
        return self.sql.statement("copy_binary", target=target, columns=listed)

    def copy_encoded(self, target: str, columns: list[str], payload: Iterable[bytes]) -> None:
        """COPY encoded rows into ``target`` (an already quoted, possibly qualified name)."""
        with self._require().cursor() as cur, cur.copy(self.copy_sql(target, columns)) as copy:
            for part in payload:
                copy.write(part)

    def _has_unique_key(self, schema: str, table: str, key: tuple[str, ...]) -> bool:
        """Whether the target has a unique index on exactly ``key`` (ours do; old Segment tables may not)."""
        return bool(self.query(self.sql.statement("unique_key"), (schema, table, sorted(key))))

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
        ids = self.quote(f"eventyard_ids_{next(_stage_ids)}")
        with conn.transaction():
            self.run(self.sql.statements("ids_table", ids=ids))
            self.copy_encoded(ids, ["id"], self.encode_copy(["id"], fresh.select(["id"])))
            # Probe the primary key per id: a hash join would read the whole (wide) target each load.
            *settings, lookup = self.sql.statements("existing_ids", target=target, ids=ids)
            self.run(settings)
            existing = [row["id"] for row in self.query(lookup)]
            if existing:
                keep = pc.invert(pc.is_in(fresh.column("id"), value_set=pa.array(existing, pa.string())))
                fresh = fresh.filter(keep)
            if fresh.num_rows:
                self.copy_encoded(target, columns, self.encode_copy(columns, fresh))
        return int(fresh.num_rows)

    def merge_sql(self, schema: str, rows: TableRows, stage: str, *, unique_key: bool) -> str:
        """Insert-if-absent of the staged rows (golden-tested): with a unique key, ON CONFLICT
        probes the index the insert maintains anyway; without one, an anti-join is the only way."""
        return self.sql.statement(
            "merge_on_conflict" if unique_key else "merge",
            **self.merge_params(schema, rows, self.quote(stage)),
            key=build.column_list(self.quote, rows.key),
        )

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        unique = self._has_unique_key(schema, rows.name, rows.key)
        conn = self._require()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(self.merge_sql(schema, rows, str(staged), unique_key=unique))
            return int(cur.rowcount)

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        target_columns = self.existing_columns(schema, rows.name) or dict(rows.columns)
        conn = self._require()
        create, *replace = self.users_sql(schema, rows, str(staged), target_columns)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(create)
            written = int(cur.rowcount)
            for statement in replace:
                cur.execute(statement)
        return written

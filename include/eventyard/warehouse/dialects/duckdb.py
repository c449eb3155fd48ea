"""DuckDB, the embedded default warehouse: a file under EVENTYARD_HOME (or the connection's ``path``).

DuckDB lets one process write a database file at a time, so the whole load holds an exclusive
file lock next to it (``<file>.lock``): concurrent loads queue instead of failing, and two loads
never touch one table at once. Rows are staged by registering the Arrow table (zero copy).
"""

from __future__ import annotations

import fcntl
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pyarrow.compute as pc

from eventyard.warehouse.common_sql import (
    column_list,
    key_match,
    stage_select_list,
    users_aggregates,
)
from eventyard.warehouse.dialects.base import SQL_RESERVED, Dialect, WarehouseError
from eventyard.warehouse.sql import render, render_statements
from eventyard.warehouse.types import Logical, TableRows

_TYPES: dict[str, str] = {
    "timestamp": "TIMESTAMPTZ",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "text": "VARCHAR",
}
_stage_ids = itertools.count()


class DuckDBDialect(Dialect):
    """The embedded DuckDB warehouse."""

    name: ClassVar[str] = "duckdb"
    # DuckDB has no practical limit; 255 keeps names readable and portable.
    max_identifier_length: ClassVar[int] = 255
    reserved_words: ClassVar[frozenset[str]] = SQL_RESERVED | frozenset(
        {"pivot", "unpivot", "qualify", "summarize"}
    )

    def __init__(self, connection_details: dict[str, Any], settings: Any) -> None:
        super().__init__(connection_details, settings)
        self.conn: Any = None
        self._lock_fd: int | None = None

    @property
    def path(self) -> str:
        """The database file (``:memory:`` is allowed for tests)."""
        path = self.details.get("path") or self.details.get("database")
        if path:
            return str(path)
        return str((Path(self.settings.home) / "warehouse.duckdb").resolve())

    def type_for(self, logical: Logical) -> str:
        return _TYPES[logical]

    def logical_for(self, physical: str) -> Logical:
        upper = physical.upper()
        if upper.startswith("TIMESTAMP") or upper == "DATE":
            return "timestamp"
        if upper in {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"}:
            return "bigint"
        if upper in {"DOUBLE", "FLOAT", "REAL"} or upper.startswith("DECIMAL"):
            return "double"
        if upper == "BOOLEAN":
            return "boolean"
        return "text"

    def connect(self) -> None:
        import duckdb

        if self.conn is not None:
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(f"{self.path}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            self.conn = duckdb.connect(self.path)
        except Exception:
            self._unlock()
            raise

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self._unlock()

    def _require(self) -> Any:
        if self.conn is None:
            raise WarehouseError("DuckDB dialect used before connect()")
        return self.conn

    def ensure_schema(self, schema: str) -> None:
        self._require().execute(f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}")

    def existing_columns(self, schema: str, table: str) -> dict[str, Logical] | None:
        rows = (
            self._require()
            .execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema, table],
            )
            .fetchall()
        )
        if not rows:
            return None
        return {name: self.logical_for(physical) for name, physical in rows}

    def create_table(
        self, schema: str, table: str, columns: dict[str, Logical], key: tuple[str, ...]
    ) -> None:
        # No PRIMARY KEY: DuckDB's over-eager index checks reject delete+insert of a key in one
        # transaction (the users upsert); dedupe is by anti-join instead.
        cols = ", ".join(f"{self.quote(n)} {self.type_for(t)}" for n, t in columns.items())
        self._require().execute(f"CREATE TABLE IF NOT EXISTS {self.qualified(schema, table)} ({cols})")

    def add_columns(self, schema: str, table: str, columns: dict[str, Logical]) -> None:
        conn = self._require()
        for name, logical in columns.items():
            conn.execute(
                f"ALTER TABLE {self.qualified(schema, table)} ADD COLUMN IF NOT EXISTS"
                f" {self.quote(name)} {self.type_for(logical)}"
            )

    @contextmanager
    def table_lock(self, schema: str, table: str) -> Iterator[None]:
        # The file lock taken in connect() already makes this process the only writer.
        yield

    @contextmanager
    def staged(self, schema: str, rows: TableRows) -> Iterator[str]:
        conn = self._require()
        name = f"eventyard_stage_{os.getpid()}_{next(_stage_ids)}"
        conn.register(name, rows.data)
        try:
            yield name
        finally:
            conn.unregister(name)

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        conn = self._require()
        sql = render(
            "duckdb",
            "merge",
            target=self.qualified(schema, rows.name),
            stage=self.quote(staged),
            columns=column_list(self.quote, rows.columns),
            key_match=key_match(self.quote, rows.key),
        )
        conn.execute("BEGIN TRANSACTION")
        try:
            inserted = conn.execute(sql).fetchone()
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        return int(inserted[0]) if inserted else 0

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        conn = self._require()
        target_columns = list(self.existing_columns(schema, rows.name) or rows.columns)
        merged = f"{staged}_merged"
        ids = {
            "target": self.qualified(schema, rows.name),
            "stage": self.quote(staged),
            "merged": self.quote(merged),
            "id": self.quote("id"),
            "columns": column_list(self.quote, target_columns),
            "stage_columns": stage_select_list(self.quote, target_columns, set(rows.columns)),
            "aggregates": users_aggregates(self.quote, target_columns),
        }
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(render("duckdb", "users_upsert", **ids))
            for statement in render_statements("duckdb", "users_replace", **ids):
                conn.execute(statement)
            conn.execute(f"DROP TABLE {self.quote(merged)}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        return int(pc.count_distinct(rows.data.column("id")).as_py())

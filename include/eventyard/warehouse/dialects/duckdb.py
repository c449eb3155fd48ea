"""DuckDB, the embedded default warehouse: a file under EVENTYARD_HOME (or the connection's ``path``).

DuckDB lets one process write a database file at a time, so the whole load holds an exclusive
file lock next to it (``<file>.lock``): concurrent loads queue instead of failing, and two loads
never touch one table at once. Rows are staged by registering the Arrow table (zero copy).
"""

from __future__ import annotations

import fcntl
import itertools
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pyarrow.compute as pc

from eventyard.warehouse.dialects.base import SQL_RESERVED, DeleteInsertUsersDialect, WarehouseError
from eventyard.warehouse.sql import Templates
from eventyard.warehouse.types import Logical, TableRows

_stage_ids = itertools.count()
# Errors the same statement would raise again: bad SQL against this table, constraints, types.
_TERMINAL_NAMES = (
    "BinderException", "CatalogException", "ConstraintException", "ConversionException",
    "InvalidInputException", "NotImplementedException", "OutOfRangeException", "ParserException",
    "PermissionException", "TypeMismatchException",
)  # fmt: skip


class DuckDBDialect(DeleteInsertUsersDialect):
    """The embedded DuckDB warehouse."""

    name: ClassVar[str] = "duckdb"
    sql: ClassVar[Templates] = Templates("duckdb")
    TYPES: ClassVar[Mapping[str, str]] = {
        "timestamp": "TIMESTAMPTZ",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "boolean": "BOOLEAN",
        "text": "VARCHAR",
    }
    # No NOT NULL / PRIMARY KEY: DuckDB's over-eager index checks reject delete+insert of a key
    # in one transaction (the users upsert); dedupe is by anti-join instead.
    key_not_null: ClassVar[bool] = False
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

    def run(self, statements: Sequence[str]) -> None:
        conn = self._require()
        for statement in statements:
            conn.execute(statement)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        conn = self._require()
        cursor = conn.execute(sql, list(params)) if params else conn.execute(sql)
        names = [c[0] for c in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def is_terminal(self, exc: BaseException) -> bool:
        import duckdb

        terminal = tuple(getattr(duckdb, name) for name in _TERMINAL_NAMES)
        return super().is_terminal(exc) or isinstance(exc, terminal)

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

    def merge_sql(self, schema: str, rows: TableRows, stage: str) -> str:
        """Insert-if-absent of the staged rows (golden-tested)."""
        return self.sql.statement("merge", **self.merge_params(schema, rows, self.quote(stage)))

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        with self._transaction() as conn:
            inserted = conn.execute(self.merge_sql(schema, rows, str(staged))).fetchone()
        return int(inserted[0]) if inserted else 0

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        target_columns = self.existing_columns(schema, rows.name) or dict(rows.columns)
        with self._transaction() as conn:
            for statement in self.users_sql(schema, rows, str(staged), target_columns):
                conn.execute(statement)
        return int(pc.count_distinct(rows.data.column("id")).as_py())

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        conn = self._require()
        conn.begin()
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

"""What the Segment merge needs from a warehouse beyond the loader's ``Dialect``: statements with
bound parameters and their row counts, a transaction per chunk, and which column changes the
warehouse can make in place.

One small class per dialect family; the merge algorithm (``eventyard.migration.execute``) never
branches on the warehouse. The SQL itself is in ``warehouse_sql/<dialect>/segment_*.sql``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from eventyard.migration.catalog import Tables, read_tables
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.types import Logical

# (ours, theirs) logical pairs a warehouse can widen our column for, in place.
Widening = frozenset[tuple[Logical, Logical]]
_TO_TEXT: Widening = frozenset(
    {("bigint", "text"), ("double", "text"), ("boolean", "text"), ("timestamp", "text")}
)


@dataclass(frozen=True)
class Chunk:
    """One chunk's insert: its template and quoted parts, bounds, size and our column types."""

    template: str
    parts: dict[str, str]
    bounds: tuple[bool, datetime, datetime]  # (the rows without received_at?, after, up to)
    rows: int
    types: dict[str, str]  # our physical type of each merged column, in our order


class MergeOps:
    """The base: a Postgres-wire or DuckDB connection (``dialect.conn``) with DB-API cursors."""

    # Widening of our column that the warehouse can do with one ALTER (int -> float, -> text).
    widenable: ClassVar[Widening] = frozenset({("bigint", "double")}) | _TO_TEXT
    # Whether text columns carry a length (varchar(n)) that may need widening.
    text_lengths: ClassVar[bool] = True
    # Whether a chunk's statements can share one transaction with the chunk's ledger row.
    transactional: ClassVar[bool] = True

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    @property
    def conn(self) -> Any:
        """The dialect's open connection."""
        conn = getattr(self.dialect, "conn", None)
        if conn is None:
            raise TerminalWarehouseError(f"{self.dialect.name}: not connected")
        return conn

    def start(self) -> None:
        """Per-session settings (compare and convert timestamps in UTC)."""
        self.dialect.run([self.dialect.sql.statement("segment_session")])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of one query, with bound parameters."""
        return self.dialect.query(sql, params)

    def read_tables(self, schema: str) -> Tables:
        """Every base table of ``schema`` with its columns (the catalog's view)."""
        return read_tables(self.dialect, schema)

    def stage_name(self, schema: str, name: str) -> str:
        """How SQL names a stage table of this merge (a session temp table by default)."""
        return self.dialect.quote(name)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement with bound parameters; returns the rows it wrote."""
        with self.conn.cursor() as cur:
            cur.execute(sql, tuple(params) if params else None)
            return max(int(cur.rowcount or 0), 0)

    @contextmanager
    def transaction(self, schema: str, table: str) -> Iterator[None]:
        """One chunk: its rows, its discards and its ledger row commit together or not at all."""
        with self.conn.transaction():
            yield

    def text_type(self, length: int | None) -> str:
        """Our text type able to hold ``length`` characters (None: unbounded)."""
        return "text" if length is None else f"varchar({length})"

    def insert_template(self, schema: str, table: str) -> str:
        """Which insert template fits our table (an ``ON CONFLICT`` one needs a unique key)."""
        return "segment_insert"

    def insert_chunk(self, chunk: Chunk) -> int:
        """Insert one chunk's new rows; returns the rows inserted."""
        return self.execute(self.dialect.sql.statement(chunk.template, **chunk.parts), chunk.bounds)

    def users_statements(
        self, schema: str, stage: str, columns: dict[str, Logical], target: dict[str, Logical]
    ) -> list[str]:
        """The loader's own users upsert, run on a stage of Segment's users."""
        from eventyard.warehouse.types import TableRows, empty_arrow

        rows = TableRows("users", "users", columns, empty_arrow(columns))
        statements = self.dialect.users_sql(schema, rows, stage, target)  # type: ignore[attr-defined]
        return [statements] if isinstance(statements, str) else list(statements)


class PostgresOps(MergeOps):
    """Postgres: when our table has its primary key, a chunk is first tried as a plain
    ``INSERT ... SELECT`` (the ceiling itself); only if the key refuses it (an id we already have,
    or repeated in the chunk) does it roll back to a savepoint and insert ``ON CONFLICT DO NOTHING``."""

    def insert_template(self, schema: str, table: str) -> str:
        unique = self.dialect.query(self.dialect.sql.statement("unique_key"), (schema, table, ["id"]))
        return "segment_insert_on_conflict" if unique else "segment_insert"

    def insert_chunk(self, chunk: Chunk) -> int:
        if chunk.template != "segment_insert_on_conflict":
            return super().insert_chunk(chunk)
        import psycopg

        try:
            with self.conn.transaction():  # a savepoint inside the chunk's transaction
                return self.execute(
                    self.dialect.sql.statement("segment_insert_plain", **chunk.parts), chunk.bounds
                )
        except psycopg.errors.UniqueViolation:
            return super().insert_chunk(chunk)


class DuckDBOps(MergeOps):
    """DuckDB: VARCHAR has no length; ALTER changes any type."""

    text_lengths: ClassVar[bool] = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = self.conn.execute(sql, list(params)) if params else self.conn.execute(sql)
        if cursor.description and cursor.description[0][0] == "Count":
            row = cursor.fetchone()
            return int(row[0]) if row else 0
        return 0

    @contextmanager
    def transaction(self, schema: str, table: str) -> Iterator[None]:
        self.conn.begin()
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def text_type(self, length: int | None) -> str:
        return "VARCHAR"


# catalog code -> "module:Class" (imported on demand: boto3 and BigQuery's client only matter there).
OPS: dict[str, str] = {
    "postgres": "eventyard.migration.ops:PostgresOps",
    "duckdb": "eventyard.migration.ops:DuckDBOps",
    "amazon_redshift": "eventyard.migration.ops_redshift:RedshiftOps",
    "google_bigquery": "eventyard.migration.ops_bigquery:BigQueryOps",
}


def ops_for(dialect: Dialect) -> MergeOps:
    """The merge operations of a connected dialect."""
    from eventyard.warehouse.target import registered_class

    cls = registered_class(OPS, dialect.name, MergeOps, NoMergeForDialect)
    return cls(dialect)


class NoMergeForDialect(TerminalWarehouseError):
    """No Segment merge is registered for this warehouse."""

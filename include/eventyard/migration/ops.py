"""What the Segment merge needs from a warehouse beyond the loader's ``Dialect``: statements with
bound parameters and their row counts, a transaction per chunk, and which column changes the
warehouse can make in place.

One small class per dialect family; the merge algorithm (``eventyard.migration.execute``) never
branches on the warehouse. The SQL itself is in ``warehouse_sql/<dialect>/segment_*.sql``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.types import Logical

# (ours, theirs) logical pairs a warehouse can widen our column for, in place.
Widening = frozenset[tuple[Logical, Logical]]
_TO_TEXT: Widening = frozenset(
    {("bigint", "text"), ("double", "text"), ("boolean", "text"), ("timestamp", "text")}
)


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

    def insert_chunk(self, template: str, parts: dict[str, str], bounds: Sequence[Any], rows: int) -> int:
        """Insert one chunk's new rows (``rows`` of Segment's are in it); returns the rows inserted."""
        return self.execute(self.dialect.sql.statement(template, **parts), bounds)

    def users_statements(
        self, schema: str, stage: str, columns: dict[str, Logical], target: dict[str, Logical]
    ) -> list[str]:
        """The loader's own users upsert, run on a stage of Segment's users."""
        from eventyard.warehouse.types import TableRows, empty_arrow

        rows = TableRows("users", "users", columns, empty_arrow(columns))
        statements = self.dialect.users_sql(schema, rows, stage, target)  # type: ignore[attr-defined]
        return [statements] if isinstance(statements, str) else list(statements)


class PostgresOps(MergeOps):
    """Postgres: ``ON CONFLICT ("id") DO NOTHING`` when our table has its primary key."""

    def insert_template(self, schema: str, table: str) -> str:
        unique = self.dialect.query(self.dialect.sql.statement("unique_key"), (schema, table, ["id"]))
        return "segment_insert_on_conflict" if unique else "segment_insert"


class RedshiftOps(MergeOps):
    """Redshift: VARCHAR widens in place, other types do not (ALTER COLUMN TYPE is VARCHAR-only)."""

    widenable: ClassVar[Widening] = frozenset()

    def text_type(self, length: int | None) -> str:
        return f"VARCHAR({length or 65535})"

    @contextmanager
    def transaction(self, schema: str, table: str) -> Iterator[None]:
        # The dialect's table lock is one transaction holding LOCK on the target: Redshift has no
        # savepoints, so the users upsert inside it must not open its own.
        with self.dialect.table_lock(schema, table):
            yield


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


OPS: dict[str, type[MergeOps]] = {
    "postgres": PostgresOps,
    "amazon_redshift": RedshiftOps,
    "duckdb": DuckDBOps,
}


def ops_for(dialect: Dialect) -> MergeOps:
    """The merge operations of a connected dialect."""
    try:
        return OPS[dialect.name](dialect)
    except KeyError:
        raise TerminalWarehouseError(f"no Segment merge for {dialect.name} yet") from None

"""What the Segment merge needs from a warehouse beyond the loader's ``Dialect``: statements with
bound parameters and their row counts, a transaction per chunk, and which column changes the
warehouse can make in place.

One small class per dialect family; the merge algorithm (``eventyard.migration.execute``) never
branches on the warehouse. The SQL itself is in ``warehouse_sql/<dialect>/segment_*.sql``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventyard.migration.catalog import ColumnInfo, Tables, read_tables
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


class RedshiftOps(MergeOps):
    """Redshift: VARCHAR widens in place, other types do not (ALTER COLUMN TYPE is VARCHAR-only).

    A chunk of at least ``mergeUnloadRows`` rows (connection detail, default 1,000,000) travels
    through S3 when the connection has a staging bucket: ``UNLOAD`` of the converted chunk as
    Parquet, ``COPY`` into a stage created in that column order (COPY matches Parquet columns by
    position), then the insert-if-absent with explicit column lists. Smaller chunks are one
    ``INSERT ... SELECT``.
    """

    widenable: ClassVar[Widening] = frozenset()
    DEFAULT_UNLOAD_ROWS: ClassVar[int] = 1_000_000

    @property
    def unload_rows(self) -> int | None:
        """The chunk size from which chunks go through S3 (None: no staging bucket)."""
        details = self.dialect.details
        if not details.get("bucketName"):
            return None
        return int(details.get("mergeUnloadRows") or self.DEFAULT_UNLOAD_ROWS)

    def insert_chunk(self, chunk: Chunk) -> int:
        threshold = self.unload_rows
        if threshold is None or chunk.rows < threshold:
            return super().insert_chunk(chunk)
        return self.unload_and_copy(chunk)

    def unload_and_copy(self, chunk: Chunk) -> int:
        """UNLOAD the chunk to S3, COPY it into a stage, insert the new ids; clean up S3."""
        from eventyard.warehouse.dialects.redshift_s3 import string_literal
        from eventyard.warehouse.sql import build

        d: Any = self.dialect
        is_null, lo, hi = chunk.bounds
        query = d.sql.statement(
            "segment_unload_query", expressions=chunk.parts["expressions"], source=chunk.parts["source"],
            is_null="TRUE" if is_null else "FALSE", lo=_timestamp_literal(lo), hi=_timestamp_literal(hi),
        )  # fmt: skip
        name = f"eventyard_segment_{uuid.uuid4().hex[:16]}"
        bucket = str(d.details["bucketName"])
        prefix = f"{d._staging_key(name).removesuffix('.parquet')}/"
        s3_prefix = f"s3://{bucket}/{prefix}"
        d.run([build.temp_table(d, name, chunk.types)])
        try:
            unload = d.sql.statement(
                "segment_unload", query=string_literal(query), s3_prefix=string_literal(s3_prefix),
                credentials=d.credentials_sql(),
            )  # fmt: skip
            d.run([unload])
            d.run(d.copy_sql(name, s3_prefix))
            staged = d.sql.statement("segment_insert_staged", target=chunk.parts["target"],
                                     columns=chunk.parts["columns"], stage=d.quote(name))  # fmt: skip
            return self.execute(staged)
        finally:
            d.run([build.drop_table(d, name)])
            _delete_prefix(d._s3_client(), bucket, prefix)

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


class BigQueryOps(MergeOps):
    """BigQuery through its client: typed query parameters, DML row counts from the job, columns
    from the tables' schemas (the API, which the emulator answers too). No multi-statement
    transaction: a chunk's ledger row follows it, and a chunk redone after a crash inserts
    nothing (dedupe on id). ``INT64`` widens to ``FLOAT64`` in place; nothing widens to STRING."""

    widenable: ClassVar[Widening] = frozenset({("bigint", "double")})
    text_lengths: ClassVar[bool] = False
    transactional: ClassVar[bool] = False

    @property
    def client(self) -> Any:
        """The dialect's BigQuery client."""
        client = getattr(self.dialect, "client", None)
        if client is None:
            raise TerminalWarehouseError("BigQuery: not connected")
        return client

    def start(self) -> None:
        """Nothing to set: BigQuery's TIMESTAMP is UTC."""

    def _config(self, params: Sequence[Any]) -> Any:
        from google.cloud import bigquery

        return bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter(None, _bq_type(v), v) for v in params]
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row.items()) for row in self.client.query(sql, job_config=self._config(params)).result()]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        job = self.client.query(sql, job_config=self._config(params))
        job.result()
        return int(job.num_dml_affected_rows or 0)

    @contextmanager
    def transaction(self, schema: str, table: str) -> Iterator[None]:
        yield

    def text_type(self, length: int | None) -> str:
        return "STRING"

    def stage_name(self, schema: str, name: str) -> str:
        return self.dialect.qualified(schema, name)

    def read_tables(self, schema: str) -> Tables:
        from google.api_core.exceptions import NotFound

        d = self.dialect
        try:
            listed = list(self.client.list_tables(f"{d.details['project']}.{schema}"))
        except NotFound:
            return {}
        tables: Tables = {}
        for item in listed:
            if getattr(item, "table_type", "TABLE") != "TABLE":
                continue  # Segment's deduplicating <table>_view views
            table = self.client.get_table(item.reference)
            tables[item.table_id] = [
                ColumnInfo(f.name, f.field_type, d.logical_for(f.field_type), position)
                for position, f in enumerate(table.schema, start=1)
            ]
        return tables


def _bq_type(value: Any) -> str:
    """A query parameter's GoogleSQL type (NULL as a STRING: the templates cast it)."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, datetime):
        return "TIMESTAMP"
    return "STRING"


OPS: dict[str, type[MergeOps]] = {
    "postgres": PostgresOps,
    "amazon_redshift": RedshiftOps,
    "duckdb": DuckDBOps,
    "google_bigquery": BigQueryOps,
}


def ops_for(dialect: Dialect) -> MergeOps:
    """The merge operations of a connected dialect."""
    try:
        return OPS[dialect.name](dialect)
    except KeyError:
        raise TerminalWarehouseError(f"no Segment merge for {dialect.name} yet") from None


def _timestamp_literal(moment: datetime) -> str:
    """A UTC timestamp literal (for UNLOAD's query, which takes no parameters); built from a
    datetime, never from user text."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return f"TIMESTAMP '{utc.isoformat(sep=' ', timespec='microseconds')}'"


def _delete_prefix(s3: Any, bucket: str, prefix: str) -> None:
    """Remove the chunk's Parquet files (a leftover is harmless; lifecycle rules expire it)."""
    try:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        keys = [{"Key": o["Key"]} for o in listed.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    except Exception:  # botocore's many error types; cleanup must not fail a committed chunk
        pass

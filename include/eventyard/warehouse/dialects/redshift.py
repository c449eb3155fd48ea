"""Amazon Redshift: Parquet staged in S3, ``COPY ... FORMAT AS PARQUET``, merge in one transaction.

Each table load is one transaction, opened by ``table_lock`` (``LOCK`` on the target once it
exists) and committed when the loader leaves it: the stage (a temp table filled by COPY from a
Parquet file the dialect uploaded with boto3), ``CREATE TABLE`` / ``ALTER TABLE ADD COLUMN``, and
the merge all commit together or not at all. Rows whose ``id`` is already in the table are not
touched (insert-if-absent), so re-running a load leaves the table identical; ``users`` is
delete-matching + insert of the per-column latest non-null values.

Redshift speaks the Postgres wire protocol, so the connection is psycopg. Everything except the
COPY from S3 (and ``SORTKEY``) is the SQL subset Redshift shares with Postgres, which is how the
tests run it for real. The SQL lives in ``warehouse_sql/redshift/``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa

from eventyard.settings import Settings
from eventyard.warehouse.dialects.base import ROW_COLUMN, SQL_RESERVED, Dialect, WarehouseError
from eventyard.warehouse.dialects.pg_wire import PgWireSession
from eventyard.warehouse.dialects.redshift_s3 import S3Staging
from eventyard.warehouse.errors import TerminalWarehouseError, TransientWarehouseError
from eventyard.warehouse.sql import Templates, build
from eventyard.warehouse.types import Logical, TableRows

# Redshift's reserved words (docs: "Reserved words") on top of the common SQL list. Segment
# prefixes such column names with "_" (redshift-faq: `open` -> `_open`).
REDSHIFT_RESERVED = SQL_RESERVED | frozenset(
    """
    aes128 aes256 allowoverwrite backup blanksasnull bytedict bzip2 credentials defrag delta
    delta32k disable emptyasnull enable encode encrypt encryption explicit globaldict256
    globaldict64k gzip identity ignore lun luns lzo lzop minus mostly13 mostly32 mostly8 new off
    offline offset oid old open parallel partition percent permissions pivot raw readratio recover
    rejectlog resort respect restore sysdate top truncatecolumns unnest unpivot wallet without
    """.split()  # noqa: SIM905
)


class RedshiftDialect(S3Staging, PgWireSession, Dialect):
    """Redshift over psycopg, staging through S3."""

    name = "amazon_redshift"
    sql: ClassVar[Templates] = Templates("redshift")
    max_identifier_length = 127
    reserved_words = REDSHIFT_RESERVED
    # Redshift adds one column per ALTER TABLE and has no ADD COLUMN IF NOT EXISTS: the loader
    # checks information_schema first, under the table lock.
    add_column_if_not_exists: ClassVar[bool] = False

    TYPES: ClassVar[Mapping[str, str]] = {
        # Redshift's TEXT is VARCHAR(256); Segment widens VARCHAR as needed, we start at the maximum.
        "text": "VARCHAR(65535)",
        "bigint": "BIGINT",
        "double": "DOUBLE PRECISION",
        "boolean": "BOOLEAN",
        # Segment's Redshift DDL: TIMESTAMP WITHOUT TIME ZONE holding UTC.
        "timestamp": "TIMESTAMP",
    }

    def __init__(self, connection_details: Mapping[str, Any], settings: Settings) -> None:
        super().__init__(connection_details, settings)
        self._s3: Any = None
        self._in_lock = False

    # ---- identifiers and types -------------------------------------------------------------
    def logical_for(self, physical: str) -> Logical:
        p = physical.lower()
        if p in {"bigint", "integer", "smallint", "int8", "int4", "int2"}:
            return "bigint"
        if p in {"double precision", "real", "float8", "float4", "numeric"}:
            return "double"
        if p in {"boolean", "bool"}:
            return "boolean"
        if p.startswith("timestamp"):
            return "timestamp"
        return "text"

    def table_attributes(self, columns: Mapping[str, Logical]) -> str:
        """``SORTKEY`` on received_at, as Segment's tables have (Redshift only)."""
        return ' SORTKEY ("received_at")' if "received_at" in columns else ""

    # ---- connection ------------------------------------------------------------------------
    def connect(self) -> None:
        import psycopg

        d = self.details
        try:
            self.conn = psycopg.connect(
                host=str(d["host"]),
                port=int(d.get("port") or 5439),
                dbname=str(d["database"]),
                user=str(d["user"]),
                password=str(d.get("password") or ""),
                sslmode=str(d.get("sslmode") or "prefer"),
                connect_timeout=15,
                autocommit=True,
            )
        except KeyError as exc:
            raise TerminalWarehouseError(f"Redshift connection is missing {exc.args[0]!r}") from exc
        except psycopg.Error as exc:
            raise TransientWarehouseError(f"cannot connect to Redshift at {d.get('host')}: {exc}") from exc

    @contextmanager
    def table_lock(self, schema: str, table: str) -> Iterator[None]:
        """One transaction per table load, holding Redshift's exclusive ``LOCK`` on the target."""
        if self._in_lock:
            raise WarehouseError("table_lock is not reentrant")
        with self._require().transaction():
            if self.existing_columns(schema, table) is not None:
                self.run(self.sql.statements("lock_table", table=self.qualified(schema, table)))
            self._in_lock = True
            try:
                yield
            finally:
                self._in_lock = False

    # ---- data ------------------------------------------------------------------------------
    def stage_columns(self, rows: TableRows) -> dict[str, str]:
        """The stage's columns and physical types: the rows' columns plus an ordinal."""
        return {**{c: self.type_for(t) for c, t in rows.columns.items()}, ROW_COLUMN: "BIGINT"}

    def stage_table(self, rows: TableRows) -> pa.Table:
        """The rows as written to the stage: their columns, then the row ordinal."""
        data = rows.data.select(list(rows.columns))
        ordinal = (
            rows.data.column(ROW_COLUMN)
            if ROW_COLUMN in rows.data.column_names
            else pa.array(range(rows.num_rows), type=pa.int64())
        )
        return data.append_column(ROW_COLUMN, ordinal)

    @contextmanager
    def staged(self, schema: str, rows: TableRows) -> Iterator[Any]:
        """A temp table holding ``rows``, loaded by COPY from a Parquet file staged in S3.

        Parquet columns are matched by position, so the stage is created in the file's order."""
        stage = f"eventyard_stage_{uuid.uuid4().hex[:16]}"
        self.run([build.temp_table(self, stage, self.stage_columns(rows))])
        try:
            self.load_stage(stage, self.stage_table(rows))
            yield stage
        finally:
            self.run([build.drop_table(self, stage)])

    def merge_sql(self, schema: str, rows: TableRows, stage: str) -> list[str]:
        """Insert-if-absent of the staged rows (golden-tested)."""
        return self.sql.statements("merge", **self.merge_params(schema, rows, self.quote(stage)))

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """A transaction unless ``table_lock`` already holds one (Redshift has no savepoints)."""
        if self._in_lock:
            yield
        else:
            with self._require().transaction():
                yield

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        with self._atomic(), self._require().cursor() as cur:
            inserted = 0
            for stmt in self.merge_sql(schema, rows, str(staged)):
                cur.execute(stmt)
                inserted += max(cur.rowcount, 0)
        return inserted

    def users_sql(
        self, schema: str, rows: TableRows, stage: str, target_columns: Mapping[str, Logical]
    ) -> list[str]:
        """The users upsert: merged temp table, then delete-matching + insert (golden-tested)."""
        merged = self.quote(f"{stage}_users")
        picked = ", ".join(
            self.sql.statement("users_pick", column=self.quote(c)) for c in target_columns if c != "id"
        )
        columns = build.column_list(self.quote, target_columns)
        target = self.qualified(schema, rows.name)
        return [
            *self.sql.statements(
                "users_merged",
                merged=merged,
                picked=picked,
                columns=columns,
                stage_columns=build.stage_select_list(self, target_columns, rows.columns),
                target=target,
                stage=self.quote(stage),
            ),
            *self.sql.statements("users_replace", target=target, merged=merged, columns=columns),
        ]

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        target_columns = self.existing_columns(schema, rows.name) or dict(rows.columns)
        statements = self.users_sql(schema, rows, str(staged), target_columns)
        written = 0
        with self._atomic(), self._require().cursor() as cur:
            for stmt in statements:
                cur.execute(stmt)
                if stmt.startswith("INSERT"):
                    written = max(cur.rowcount, 0)
        return written

"""Google BigQuery: rows staged by a Parquet load job, merged with one atomic MERGE per table.

- Stage: ``load_table_from_file`` uploads the batch as Parquet into a per-load staging table in
  the source's dataset (explicit schema, ``WRITE_TRUNCATE``), dropped afterwards. The load job
  carries no ``schema_update_options``: BigQuery only accepts ``ALLOW_FIELD_ADDITION`` with
  ``WRITE_APPEND`` (or a truncated partition), and the target's schema evolves through the
  loader's ``ALTER TABLE ADD COLUMN IF NOT EXISTS`` instead, so every table follows one algorithm.
- Merge: ``MERGE ... WHEN NOT MATCHED THEN INSERT`` on the key (dedupe on ``id`` across loads);
  ``users`` is a MERGE that updates per column the latest non-null value.
- ``loaded_at`` (BigQuery only, as in Segment) is added by the loader.
- Columns already in a table are read with a dry-run ``SELECT *`` (free, and it reflects every
  ALTER immediately).

BigQuery has no table locks; DML on one table is serialized by BigQuery itself and the DAG runs
one load per integration at a time. ``apiEndpoint`` in the connection (not in the catalog form)
points the client at an emulator; without ``credentials`` it then connects anonymously.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from eventyard.settings import Settings
from eventyard.warehouse.dialects.base import ROW_COLUMN, Dialect
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.sql import Templates, build
from eventyard.warehouse.types import Logical, TableRows

# GoogleSQL reserved keywords (a column named like one is prefixed with "_").
BIGQUERY_RESERVED = frozenset(
    """
    all and any array as asc assert_rows_modified at between by case cast collate contains create
    cross cube current default define desc distinct else end enum escape except exclude exists
    extract false fetch following for from full group grouping groups hash having if ignore in inner
    intersect interval into is join lateral left like limit lookup merge natural new no not null
    nulls of on or order outer over partition preceding proto qualify range recursive respect right
    rollup rows select set some struct tablesample then to treat true unbounded union unnest using
    when where window with within
    """.split()  # noqa: SIM905
)

# HTTP statuses the same request gets again (bad SQL or schema, denied, missing), unless the
# reason says it was a rate or quota limit or a backend hiccup.
_TERMINAL_STATUSES = frozenset({400, 401, 403, 404})
_RETRY_REASONS = frozenset({"backendError", "internalError", "jobRateLimitExceeded", "quotaExceeded",
                            "rateLimitExceeded"})  # fmt: skip


class BigQueryDialect(Dialect):
    """BigQuery through google-cloud-bigquery."""

    name = "google_bigquery"
    sql: ClassVar[Templates] = Templates("bigquery")
    # BigQuery allows 300 characters for a column and 1,024 bytes for a table; 255 fits both (and
    # the emulator's identifier check). Names must start with a letter or an underscore.
    max_identifier_length = 255
    identifier_needs_leading_letter = True
    reserved_words = BIGQUERY_RESERVED
    supports_loaded_at = True

    TYPES: ClassVar[Mapping[str, str]] = {
        "text": "STRING",
        "bigint": "INT64",
        "double": "FLOAT64",
        "boolean": "BOOL",
        "timestamp": "TIMESTAMP",
    }

    def __init__(self, connection_details: Mapping[str, Any], settings: Settings) -> None:
        super().__init__(connection_details, settings)
        self.client: Any = None

    @property
    def project(self) -> str:
        """The GCP project that holds the datasets."""
        return self.required("project")

    # ---- identifiers and types -------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        """A backtick-quoted identifier (backslash escapes, per GoogleSQL's quoted identifiers)."""
        if "\x00" in identifier:
            raise ValueError("identifiers cannot contain NUL")
        return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`"

    def qualified(self, schema: str, table: str) -> str:
        return f"{self.quote(self.project)}.{self.quote(schema)}.{self.quote(table)}"

    def logical_for(self, physical: str) -> Logical:
        p = physical.upper()
        if p in {"INT64", "INTEGER", "INT", "BIGINT", "SMALLINT"}:
            return "bigint"
        if p in {"FLOAT64", "FLOAT", "NUMERIC", "BIGNUMERIC", "DECIMAL"}:
            return "double"
        if p in {"BOOL", "BOOLEAN"}:
            return "boolean"
        if p in {"TIMESTAMP", "DATETIME", "DATE"}:
            return "timestamp"
        return "text"

    # ---- connection ------------------------------------------------------------------------
    def connect(self) -> None:
        from google.api_core.client_options import ClientOptions
        from google.cloud import bigquery

        d = self.details
        options = ClientOptions(api_endpoint=str(d["apiEndpoint"])) if d.get("apiEndpoint") else None
        self.client = bigquery.Client(
            project=self.project,
            credentials=self._credentials(),
            location=str(d.get("location") or "US"),
            client_options=options,
        )

    def _credentials(self) -> Any:
        raw = self.details.get("credentials")
        if not raw:
            if self.details.get("apiEndpoint"):
                from google.auth.credentials import AnonymousCredentials

                return AnonymousCredentials()
            return None  # Application Default Credentials (e.g. a workload identity)
        from google.oauth2 import service_account

        info = json.loads(raw) if isinstance(raw, str) else dict(raw)
        try:
            return service_account.Credentials.from_service_account_info(info)
        except (ValueError, KeyError) as exc:
            message = f"BigQuery credentials are not a service account key: {exc}"
            raise TerminalWarehouseError(message) from exc

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def _run(self, sql: str) -> Any:
        """Run one statement and wait for it; returns the finished job."""
        job = self.client.query(sql)
        job.result()
        return job

    def run(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self._run(statement)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter(None, _param_type(v), v) for v in params]
        )
        return [dict(row.items()) for row in self.client.query(sql, job_config=config).result()]

    def is_terminal(self, exc: BaseException) -> bool:
        from google.api_core.exceptions import GoogleAPICallError

        if not isinstance(exc, GoogleAPICallError):
            return super().is_terminal(exc)
        reasons = {str(e.get("reason")) for e in exc.errors or () if isinstance(e, dict)}
        return exc.code in _TERMINAL_STATUSES and not reasons & _RETRY_REASONS

    # ---- schema ----------------------------------------------------------------------------
    def ensure_schema(self, schema: str) -> None:
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{schema}")
        dataset.location = str(self.details.get("location") or "US")
        self.client.create_dataset(dataset, exists_ok=True)

    def table_names(self, schema: str) -> list[str]:
        """Listed through the API (tables.list): the emulator has no INFORMATION_SCHEMA views."""
        from google.api_core.exceptions import NotFound

        try:
            return sorted(t.table_id for t in self.client.list_tables(f"{self.project}.{schema}"))
        except NotFound:
            return []

    def existing_columns(self, schema: str, table: str) -> dict[str, Logical] | None:
        """Read with a dry-run ``SELECT *``: free, and it reflects every ALTER immediately."""
        from google.api_core.exceptions import NotFound
        from google.cloud import bigquery

        try:
            job = self.client.query(
                self.sql.statement("columns", table=self.qualified(schema, table)),
                job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False),
            )
        except NotFound:
            return None
        return {field.name: self.logical_for(field.field_type) for field in job.schema or []}

    @contextmanager
    def table_lock(self, schema: str, table: str) -> Iterator[None]:
        # No table locks in BigQuery: DML is serialized per table by BigQuery, DDL here is idempotent.
        yield

    # ---- data ------------------------------------------------------------------------------
    def load_job_config(self, rows: TableRows) -> Any:
        """The staging load job: Parquet, explicit schema, replace the staging table."""
        from google.cloud import bigquery

        schema = [bigquery.SchemaField(c, self.type_for(t)) for c, t in rows.columns.items()]
        schema.append(bigquery.SchemaField(ROW_COLUMN, "INT64"))
        return bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
            schema=schema,
        )

    @contextmanager
    def staged(self, schema: str, rows: TableRows) -> Iterator[Any]:
        """A staging table in the dataset, filled by a Parquet load job; deleted afterwards."""
        stage = f"_eventyard_stage_{uuid.uuid4().hex[:16]}"
        table_id = f"{self.project}.{schema}.{stage}"
        data = rows.data.select(list(rows.columns))
        ordinal = (
            rows.data.column(ROW_COLUMN)
            if ROW_COLUMN in rows.data.column_names
            else pa.array(range(rows.num_rows), type=pa.int64())
        )
        sink = io.BytesIO()
        pq.write_table(data.append_column(ROW_COLUMN, ordinal), sink, compression="zstd")
        sink.seek(0)
        try:
            self.client.load_table_from_file(sink, table_id, job_config=self.load_job_config(rows)).result()
            yield stage
        finally:
            self.client.delete_table(table_id, not_found_ok=True)

    def merge_sql(self, schema: str, rows: TableRows, stage: str) -> str:
        """The MERGE inserting new keys (golden-tested)."""
        return self.sql.statement(
            "merge",
            **self.merge_params(schema, rows, self.qualified(schema, stage)),
            source_columns=build.column_list(self.quote, rows.columns, prefix="s."),
        )

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        job = self._run(self.merge_sql(schema, rows, str(staged)))
        return int(job.num_dml_affected_rows or 0)

    def users_sql(
        self, schema: str, rows: TableRows, stage: str, target_columns: Mapping[str, Logical]
    ) -> str:
        """The users MERGE: latest non-null value per column (golden-tested)."""
        others = [c for c in target_columns if c != "id"]
        return self.sql.statement(
            "users_merge",
            target=self.qualified(schema, rows.name),
            stage=self.qualified(schema, stage),
            picked=", ".join(self.sql.statement("users_pick", column=self.quote(c)) for c in others),
            columns=build.column_list(self.quote, target_columns),
            stage_columns=build.stage_select_list(self, target_columns, rows.columns),
            assignments=build.assignments(self.quote, others),
            source_columns=build.column_list(self.quote, target_columns, prefix="s."),
        )

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        target_columns = self.existing_columns(schema, rows.name) or dict(rows.columns)
        job = self._run(self.users_sql(schema, rows, str(staged), target_columns))
        return int(job.num_dml_affected_rows or 0)


def _param_type(value: Any) -> str:
    """The GoogleSQL type of a query parameter (strings for anything else)."""
    return _PARAM_TYPES.get(type(value), "STRING")


_PARAM_TYPES: dict[type, str] = {bool: "BOOL", int: "INT64", float: "FLOAT64"}

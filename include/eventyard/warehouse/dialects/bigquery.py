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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from eventyard.settings import Settings
from eventyard.warehouse.common_sql import key_match
from eventyard.warehouse.dialects.base import ROW_COLUMN, Dialect, WarehouseError
from eventyard.warehouse.sql import render_statements, template
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


def _sql(name: str, **parts: str) -> str:
    """One BigQuery template statement, filled in, without its ``--`` comment lines."""
    (statement,) = render_statements("bigquery", name, **parts)
    return "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--")).strip()


class BigQueryDialect(Dialect):
    """BigQuery through google-cloud-bigquery."""

    name = "google_bigquery"
    # BigQuery allows 300 characters for a column and 1,024 bytes for a table; 255 fits both (and
    # the emulator's identifier check). Names must start with a letter or an underscore.
    max_identifier_length = 255
    identifier_needs_leading_letter = True
    reserved_words = BIGQUERY_RESERVED
    supports_loaded_at = True

    TYPES: ClassVar[dict[str, str]] = {
        "text": "STRING",
        "bigint": "INT64",
        "double": "FLOAT64",
        "boolean": "BOOL",
        "timestamp": "TIMESTAMP",
    }

    def __init__(self, connection_details: dict[str, Any], settings: Settings) -> None:
        super().__init__(connection_details, settings)
        self.client: Any = None

    @property
    def project(self) -> str:
        """The GCP project that holds the datasets."""
        project = self.details.get("project")
        if not project:
            raise WarehouseError("BigQuery connection is missing 'project'")
        return str(project)

    # ---- identifiers and types -------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        """A backtick-quoted identifier (backslash escapes, per GoogleSQL's quoted identifiers)."""
        if "\x00" in identifier:
            raise ValueError("identifiers cannot contain NUL")
        return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`"

    def qualified(self, schema: str, table: str) -> str:
        return f"{self.quote(self.project)}.{self.quote(schema)}.{self.quote(table)}"

    def type_for(self, logical: Logical) -> str:
        return self.TYPES[logical]

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
            raise WarehouseError(f"BigQuery credentials are not a service account key: {exc}") from exc

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def _run(self, sql: str) -> Any:
        """Run one statement and wait for it; returns the finished job."""
        job = self.client.query(sql)
        job.result()
        return job

    # ---- schema ----------------------------------------------------------------------------
    def ensure_schema(self, schema: str) -> None:
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{schema}")
        dataset.location = str(self.details.get("location") or "US")
        self.client.create_dataset(dataset, exists_ok=True)

    def existing_columns(self, schema: str, table: str) -> dict[str, Logical] | None:
        from google.api_core.exceptions import NotFound
        from google.cloud import bigquery

        try:
            job = self.client.query(
                f"SELECT * FROM {self.qualified(schema, table)}",  # noqa: S608 - quoted identifiers only
                job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False),
            )
        except NotFound:
            return None
        return {field.name: self.logical_for(field.field_type) for field in job.schema or []}

    def create_table_sql(
        self, schema: str, table: str, columns: dict[str, Logical], key: tuple[str, ...]
    ) -> str:
        """The CREATE TABLE statement (exposed for golden tests)."""
        definitions = ",\n".join(
            f"    {self.quote(c)} {self.type_for(t)}{' NOT NULL' if c in key else ''}"
            for c, t in columns.items()
        )
        return _sql("create_table", table=self.qualified(schema, table), column_definitions=definitions)

    def create_table(
        self, schema: str, table: str, columns: dict[str, Logical], key: tuple[str, ...]
    ) -> None:
        self._run(self.create_table_sql(schema, table, columns, key))

    def add_columns_sql(self, schema: str, table: str, columns: dict[str, Logical]) -> list[str]:
        """One idempotent ALTER per column (exposed for golden tests)."""
        target = self.qualified(schema, table)
        return [
            _sql("add_column", table=target, column=self.quote(c), type=self.type_for(t))
            for c, t in columns.items()
        ]

    def add_columns(self, schema: str, table: str, columns: dict[str, Logical]) -> None:
        for statement in self.add_columns_sql(schema, table, columns):
            self._run(statement)

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
        """The MERGE inserting new keys (exposed for golden tests)."""
        return _sql(
            "merge",
            target=self.qualified(schema, rows.name),
            stage=self.qualified(schema, stage),
            columns=", ".join(self.quote(c) for c in rows.columns),
            source_columns=", ".join(f"s.{self.quote(c)}" for c in rows.columns),
            key_match=key_match(self.quote, rows.key),
        )

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        job = self._run(self.merge_sql(schema, rows, str(staged)))
        return int(job.num_dml_affected_rows or 0)

    def users_sql(self, schema: str, rows: TableRows, stage: str, target_columns: dict[str, Logical]) -> str:
        """The users MERGE: latest non-null value per column (exposed for golden tests)."""
        columns = list(target_columns)
        pick = template("bigquery", "users_pick").strip()
        return _sql(
            "users_merge",
            target=self.qualified(schema, rows.name),
            stage=self.qualified(schema, stage),
            picked=", ".join(pick.format(column=self.quote(c)) for c in columns if c != "id"),
            columns=", ".join(self.quote(c) for c in columns),
            stage_columns=", ".join(
                self.quote(c)
                if c in rows.columns
                else f"CAST(NULL AS {self.type_for(target_columns[c])}) AS {self.quote(c)}"
                for c in columns
            ),
            assignments=", ".join(f"{self.quote(c)} = s.{self.quote(c)}" for c in columns if c != "id"),
            source_columns=", ".join(f"s.{self.quote(c)}" for c in columns),
        )

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        target_columns = self.existing_columns(schema, rows.name) or dict(rows.columns)
        job = self._run(self.users_sql(schema, rows, str(staged), target_columns))
        return int(job.num_dml_affected_rows or 0)

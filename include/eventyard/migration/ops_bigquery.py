"""BigQuery's merge operations: typed parameters, DML counts from the job, columns from the API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar

from eventyard.migration.catalog import ColumnInfo, Tables
from eventyard.migration.ops import MergeOps, Widening
from eventyard.warehouse.errors import TerminalWarehouseError


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

"""BigQuery: golden tests of the generated SQL and load job, and segment-spec cases 15-23 for real
against the BigQuery emulator (bqemulator: the BigQuery REST API on DuckDB)."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest
from google.cloud import bigquery as bq

from eventyard.settings import Settings
from eventyard.warehouse.dialects import get_dialect
from eventyard.warehouse.dialects.bigquery import BigQueryDialect
from eventyard.warehouse.naming import column_name, table_name_for_event
from eventyard.warehouse.types import TableRows
from tests.warehouse.ext.cases import CASES, hostile_names_case
from tests.warehouse.ext.harness import LOADED_AT, Warehouse
from tests.warehouse.factories import message
from tests.warehouse.hostile_names import INJECTIONS

pytestmark = pytest.mark.xdist_group("bigquery")


def _dialect(settings: Settings) -> BigQueryDialect:
    dialect = get_dialect("google_bigquery", {"project": "acme-prod"}, settings)
    assert isinstance(dialect, BigQueryDialect)
    return dialect


def test_merge_and_ddl_are_golden(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings)
    rows = TableRows("tracks", "tracks", {"id": "text", "n": "bigint"}, pa.table({"id": ["1"], "n": [1]}))
    assert dialect.merge_sql("my_shop", rows, "_eventyard_stage_1") == (
        "MERGE `acme-prod`.`my_shop`.`tracks` AS t\n"
        "USING (SELECT `id`, `n` FROM `acme-prod`.`my_shop`.`_eventyard_stage_1`) AS s\n"
        "ON t.`id` = s.`id`\n"
        "WHEN NOT MATCHED THEN INSERT (`id`, `n`) VALUES (s.`id`, s.`n`)"
    )
    columns = {"id": "text", "received_at": "timestamp", "x": "double", "ok": "boolean"}
    assert dialect.create_table_sql("my_shop", "t", columns, ("id",)) == (  # type: ignore[arg-type]
        "CREATE TABLE IF NOT EXISTS `acme-prod`.`my_shop`.`t` (\n"
        "    `id` STRING NOT NULL,\n    `received_at` TIMESTAMP,\n    `x` FLOAT64,\n    `ok` BOOL\n)"
    )
    assert dialect.add_columns_sql("my_shop", "t", {"n": "bigint"}) == [
        "ALTER TABLE `acme-prod`.`my_shop`.`t` ADD COLUMN IF NOT EXISTS `n` INT64"
    ]


def test_load_job_is_parquet_with_explicit_schema(ext_settings: Settings) -> None:
    rows = TableRows("t", "tracks", {"id": "text", "at": "timestamp"}, pa.table({"id": ["1"], "at": [None]}))
    config = _dialect(ext_settings).load_job_config(rows)
    assert config.source_format == bq.SourceFormat.PARQUET
    assert config.write_disposition == bq.WriteDisposition.WRITE_TRUNCATE
    assert [(f.name, f.field_type) for f in config.schema] == [
        ("id", "STRING"),
        ("at", "TIMESTAMP"),
        ("__eventyard_row", "INT64"),
    ]


def test_identifier_rules(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings)
    assert dialect.quote("a`b") == "`a\\`b`"
    assert column_name(("2FA Enabled",), dialect) == "_2fa_enabled"  # must start with a letter or _
    assert column_name(("select",), dialect) == "_select"
    assert table_name_for_event("Order Completed", dialect) == "order_completed"
    assert len(column_name(("y" * 400,), dialect)) <= 255


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_segment_cases_on_the_emulator(
    bigquery: Warehouse, schema: str, case: Callable[[Warehouse, str], None]
) -> None:
    case(bigquery, schema)


def test_loaded_at_and_reloading_leaves_identical_tables(bigquery: Warehouse, schema: str) -> None:
    messages = [message("track", event="Moved", userId=f"u{i % 2}", properties={"n": i}) for i in range(6)]
    messages += [message("identify", userId="u0", traits={"plan": "pro"})]
    bigquery.load(schema, messages)
    before = {t: bigquery.rows(schema, t) for t in ("tracks", "moved", "users")}
    assert all(row["loaded_at"] == LOADED_AT for row in before["moved"])
    bigquery.load(schema, messages + messages[:2])
    after = {t: bigquery.rows(schema, t) for t in ("tracks", "moved", "users")}
    assert after == before and len(after["moved"]) == 6


def test_hostile_names_on_the_emulator(bigquery: Warehouse, schema: str) -> None:
    # Every hostile property name, and the event names that stress table names the most (each
    # event is a table, and each table costs the emulator a handful of jobs). Reloading is
    # covered by test_loaded_at_and_reloading_leaves_identical_tables.
    events = [*INJECTIONS, "users", "名前", "x" * 300, "x" * 300 + "!", "1st Event"]
    hostile_names_case(bigquery, schema, events, reload=False)


def test_users_merge_is_golden(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings)
    rows = TableRows(
        "users", "users", {"id": "text", "received_at": "timestamp", "plan": "text"}, pa.table({})
    )
    target = {"id": "text", "received_at": "timestamp", "plan": "text", "email": "text"}
    sql = dialect.users_sql("s", rows, "_stage", target)  # type: ignore[arg-type]
    assert sql.startswith(
        "MERGE `acme-prod`.`s`.`users` AS t\nUSING (\n    SELECT DISTINCT `id`, FIRST_VALUE("
    )
    assert "CAST(NULL AS STRING) AS `email`, 1 AS `__eventyard_src`" in sql
    assert (
        "WHEN MATCHED THEN UPDATE SET `received_at` = s.`received_at`, `plan` = s.`plan`, `email` = s.`email`"
        in sql
    )
    assert sql.endswith(
        "WHEN NOT MATCHED THEN INSERT (`id`, `received_at`, `plan`, `email`) "
        "VALUES (s.`id`, s.`received_at`, s.`plan`, s.`email`)"
    )

"""The merge's SQL: only in templates, every identifier quoted, the Redshift- and BigQuery-only
statements golden (their execution is emulated in tests: decision 0009)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from eventyard.migration.ops import Chunk
from eventyard.migration.ops_redshift import RedshiftOps, _timestamp_literal
from eventyard.settings import Settings
from eventyard.warehouse.dialects.redshift import RedshiftDialect
from eventyard.warehouse.sql import Templates
from tests.sql_text import inline_statements
from tests.warehouse.test_sql import _STATEMENT

MIGRATION = Path(__file__).resolve().parents[2] / "include" / "eventyard" / "migration"


def test_merge_sql_lives_only_in_the_templates() -> None:
    assert inline_statements(MIGRATION.rglob("*.py"), _STATEMENT) == []


def test_every_dialect_has_every_merge_template() -> None:
    root = MIGRATION.parents[2] / "warehouse_sql"
    postgres_only = {"segment_insert_on_conflict.sql", "segment_insert_plain.sql"}
    # BigQuery reads columns through its API and needs no session settings.
    not_bigquery = {"segment_columns.sql", "segment_session.sql"}
    names = {p.name for p in (root / "postgres").glob("segment_*.sql")} - postgres_only - not_bigquery
    for folder in ("redshift", "duckdb", "bigquery"):
        have = {p.name for p in (root / folder).glob("segment_*.sql")}
        assert names <= have, (folder, names - have)


def test_unload_statement_is_golden(tmp_path: Path) -> None:
    details = {"host": "h", "database": "d", "user": "u", "bucketName": "b", "iamRoleARN": "arn:r"}
    dialect = RedshiftDialect(details, Settings(home=tmp_path))
    sent: list[str] = []
    dialect.run = sent.extend  # type: ignore[method-assign]
    ops = RedshiftOps(dialect)
    ops.execute = lambda sql, params=(): sent.append(sql) or 0  # type: ignore[method-assign]
    dialect._s3 = type("S3", (), {"list_objects_v2": lambda self, **kw: {}})()
    lo, hi = datetime(1, 1, 2, tzinfo=UTC), datetime(2023, 12, 3, 10, tzinfo=UTC)
    parts = {"target": '"shop"."tracks"', "source": '"seg"."tracks"', "columns": '"id", "received_at"',
             "expressions": 's."id" AS "id", s."received_at" AS "received_at"'}  # fmt: skip
    ops.insert_chunk(Chunk("segment_insert", parts, (False, lo, hi), 5_000_000, {"id": "VARCHAR(65535)"}))
    create, unload, copy, insert, drop = sent
    assert create.startswith('CREATE TEMP TABLE "eventyard_segment_') and '("id" VARCHAR(65535))' in create
    assert unload.startswith(
        'UNLOAD (\'SELECT s."id" AS "id", s."received_at" AS "received_at" FROM "seg"."tracks" AS s\n'
        'WHERE (FALSE AND s."received_at" IS NULL) OR (s."received_at" > TIMESTAMP \'\'0001-01-02 '
        "00:00:00.000000'' AND s.\"received_at\" <= TIMESTAMP ''2023-12-03 10:00:00.000000'')')\nTO 's3://b/"
    )
    assert unload.endswith("/'\nIAM_ROLE 'arn:r'\nFORMAT AS PARQUET\nALLOWOVERWRITE")
    assert copy.startswith('COPY "eventyard_segment_') and "FROM 's3://b/eventyard-staging/" in copy
    assert insert.startswith(
        'INSERT INTO "shop"."tracks" ("id", "received_at")\nSELECT "id", "received_at" FROM ('
    )
    assert drop.startswith('DROP TABLE IF EXISTS "eventyard_segment_')
    assert _timestamp_literal(hi) == "TIMESTAMP '2023-12-03 10:00:00.000000'"


def test_bigquery_chunks_divide_with_div() -> None:
    sql = Templates("bigquery").statement("segment_chunks", source="`p`.`s`.`t`")
    assert "DIV(rank() OVER (ORDER BY `received_at`) - 1, ?)" in sql and '"' not in sql

"""The compare templates are golden per dialect, and the compare package holds no SQL text of its own."""

from __future__ import annotations

import re
from pathlib import Path

from eventyard.settings import Settings
from eventyard.warehouse.dialects import get_dialect
from tests.sql_text import inline_statements

COMPARE = Path(__file__).resolve().parents[2] / "include" / "eventyard" / "compare"
_STATEMENT = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|WITH|SET)\b", re.IGNORECASE)


def test_hourly_is_golden_and_every_identifier_is_quoted(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    postgres = get_dialect("postgres", {}, settings)
    parts = {"table": postgres.qualified('se"g', "tracks"), "received_at": postgres.quote("received_at"),
             "key": postgres.quote("event"), "anonymous_id": postgres.quote("anonymous_id"),
             "user_id": "CAST(NULL AS text)"}  # fmt: skip
    assert postgres.sql.statement("compare_hourly", **parts) == (
        'SELECT date_trunc(\'hour\', "received_at") AS "hour", "event" AS "key", count(*) AS "row_count",\n'
        '       count(DISTINCT "anonymous_id") AS "anonymous_ids", '
        'count(DISTINCT CAST(NULL AS text)) AS "user_ids"\n'
        'FROM "se""g"."tracks"\n'
        'WHERE "received_at" >= CAST(%s AS timestamptz) AND "received_at" < CAST(%s AS timestamptz)\n'
        "GROUP BY 1, 2"
    )
    bigquery = get_dialect("google_bigquery", {"project": "p"}, settings)
    top = bigquery.sql.statement(
        "compare_top", table=bigquery.qualified("seg", "pages"), received_at=bigquery.quote("received_at"),
        column=bigquery.quote("path"),
    )  # fmt: skip
    assert top == (
        "SELECT CAST(`path` AS STRING) AS `value`, COUNT(*) AS `row_count`\n"
        "FROM `p`.`seg`.`pages`\n"
        "WHERE `received_at` >= TIMESTAMP(?) AND `received_at` < TIMESTAMP(?)\n"
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50"
    )
    for code in ("duckdb", "postgres", "amazon_redshift", "google_bigquery"):
        dialect = get_dialect(code, {"project": "p"}, settings)
        for name in ("compare_hourly", "compare_fill", "compare_lag", "compare_top", "compare_session"):
            assert len(dialect.sql.statements(name, **parts, counts="", timestamp="", column="")) <= 1


def test_no_sql_text_outside_the_templates() -> None:
    assert inline_statements(COMPARE.rglob("*.py"), _STATEMENT) == []

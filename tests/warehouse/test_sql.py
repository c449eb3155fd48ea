"""Warehouse SQL: golden DuckDB and Postgres statements (Redshift's and BigQuery's are in ext/),
template splitting that no identifier can subvert, and no SQL text outside the two SQL places."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

from eventyard.settings import Settings
from eventyard.warehouse.dialects import get_dialect
from eventyard.warehouse.dialects.duckdb import DuckDBDialect
from eventyard.warehouse.dialects.postgres import PostgresDialect
from eventyard.warehouse.sql import Templates, build
from eventyard.warehouse.types import TableRows
from tests.sql_text import inline_statements

WAREHOUSE = Path(__file__).resolve().parents[2] / "include" / "eventyard" / "warehouse"
COLUMNS = {"id": "text", "received_at": "timestamp", "n": "bigint", "ok": "boolean", "x": "double"}
USERS = TableRows("users", "users", {"id": "text", "received_at": "timestamp", "plan": "text"}, pa.table({}))
TARGET = {"id": "text", "received_at": "timestamp", "plan": "text", "email": "text"}


@pytest.fixture
def duckdb_dialect(state_home: Path) -> DuckDBDialect:
    dialect = get_dialect("duckdb", {}, Settings(home=state_home))
    assert isinstance(dialect, DuckDBDialect)
    return dialect


@pytest.fixture
def postgres_dialect(state_home: Path) -> PostgresDialect:
    dialect = get_dialect("postgres", {}, Settings(home=state_home))
    assert isinstance(dialect, PostgresDialect)
    return dialect


def test_create_and_alter_are_golden(
    duckdb_dialect: DuckDBDialect, postgres_dialect: PostgresDialect
) -> None:
    assert postgres_dialect.create_table_sql("my_shop", "t", COLUMNS, ("id",)) == (  # type: ignore[arg-type]
        'CREATE TABLE IF NOT EXISTS "my_shop"."t" (\n'
        '    "id" text NOT NULL,\n'
        '    "received_at" timestamp with time zone,\n'
        '    "n" bigint,\n'
        '    "ok" boolean,\n'
        '    "x" double precision,\n'
        '    PRIMARY KEY ("id")\n'
        ")"
    )
    # DuckDB: no NOT NULL / PRIMARY KEY (its index checks reject the users delete + insert).
    assert duckdb_dialect.create_table_sql("my_shop", "t", {"id": "text", "n": "bigint"}, ("id",)) == (
        'CREATE TABLE IF NOT EXISTS "my_shop"."t" (\n    "id" VARCHAR,\n    "n" BIGINT\n)'
    )
    for dialect, kind in ((postgres_dialect, "bigint"), (duckdb_dialect, "BIGINT")):
        assert dialect.add_columns_sql("s", "t", {"a b": "bigint"}) == [
            f'ALTER TABLE "s"."t" ADD COLUMN IF NOT EXISTS "a b" {kind}'
        ]
    # No key: a plain table (the benchmark's COPY ceiling).
    assert "PRIMARY KEY" not in postgres_dialect.create_table_sql("s", "t", COLUMNS, ())  # type: ignore[arg-type]


def test_merges_are_golden(duckdb_dialect: DuckDBDialect, postgres_dialect: PostgresDialect) -> None:
    rows = TableRows(
        "tracks", "tracks", {"id": "text", "event": "text"}, pa.table({"id": ["1"], "event": ["e"]})
    )
    anti_join = (
        'INSERT INTO "my_shop"."tracks" ("id", "event")\n'
        'SELECT "id", "event" FROM "stage_1" AS s\n'
        'WHERE NOT EXISTS (SELECT 1 FROM "my_shop"."tracks" AS t WHERE t."id" = s."id")'
    )
    assert duckdb_dialect.merge_sql("my_shop", rows, "stage_1") == anti_join
    assert postgres_dialect.merge_sql("my_shop", rows, "stage_1", unique_key=False) == anti_join
    assert postgres_dialect.merge_sql("my_shop", rows, "stage_1", unique_key=True) == (
        'INSERT INTO "my_shop"."tracks" ("id", "event")\n'
        'SELECT "id", "event" FROM "stage_1"\n'
        'ON CONFLICT ("id") DO NOTHING'
    )
    assert postgres_dialect.copy_sql('"my_shop"."tracks"', ["id", "event"]) == (
        'COPY "my_shop"."tracks" ("id", "event") FROM STDIN (FORMAT binary)'
    )


def test_users_upsert_is_golden(duckdb_dialect: DuckDBDialect, postgres_dialect: PostgresDialect) -> None:
    for dialect, text in ((duckdb_dialect, "VARCHAR"), (postgres_dialect, "text")):
        create, delete, insert, drop = dialect.users_sql("s", USERS, "stage_1", TARGET)  # type: ignore[arg-type]
        assert create == (
            'CREATE TEMP TABLE "stage_1_merged" AS\n'
            'SELECT "id", max("received_at") AS "received_at", '
            '(array_agg("plan" ORDER BY "received_at" DESC, "__eventyard_src", "__eventyard_row" DESC) '
            'FILTER (WHERE "plan" IS NOT NULL))[1] AS "plan", '
            '(array_agg("email" ORDER BY "received_at" DESC, "__eventyard_src", "__eventyard_row" DESC) '
            'FILTER (WHERE "email" IS NOT NULL))[1] AS "email"\n'
            "FROM (\n"
            '    SELECT "id", "received_at", "plan", "email", '
            '0 AS "__eventyard_src", 0 AS "__eventyard_row"\n'
            '    FROM "s"."users" WHERE "id" IN (SELECT "id" FROM "stage_1")\n'
            "    UNION ALL\n"
            '    SELECT "id", "received_at", "plan", CAST(NULL AS ' + text + ') AS "email", '
            '1 AS "__eventyard_src", "__eventyard_row" FROM "stage_1"\n'
            ") AS candidates\n"
            'GROUP BY "id"'
        )
        assert delete == 'DELETE FROM "s"."users" WHERE "id" IN (SELECT "id" FROM "stage_1_merged")'
        assert insert == (
            'INSERT INTO "s"."users" ("id", "received_at", "plan", "email") '
            'SELECT "id", "received_at", "plan", "email" FROM "stage_1_merged"'
        )
        assert drop == 'DROP TABLE "stage_1_merged"'


def test_no_identifier_can_add_split_or_comment_out_a_statement(postgres_dialect: PostgresDialect) -> None:
    hostile = 'x";\nDROP TABLE "sentinel";\n-- '
    statements = postgres_dialect.users_sql("s", USERS, hostile, TARGET)  # type: ignore[arg-type]
    assert [s.split()[0] for s in statements] == ["CREATE", "DELETE", "INSERT", "DROP"]
    assert statements[-1] == f"DROP TABLE {postgres_dialect.quote(hostile + '_merged')}"
    # The template had its comment lines removed and was split before it was filled in.
    statements = Templates("redshift").statements("merge", target='"t"', stage='"a;\n-- b"', columns='"c"',
                                                  key_match="1 = 1")  # fmt: skip
    assert len(statements) == 1 and statements[0].endswith("WHERE 1 = 1)") and '"a;\n-- b"' in statements[0]


def test_template_errors_are_clear() -> None:
    with pytest.raises(FileNotFoundError, match=r"no SQL template postgres/nope\.sql"):
        Templates("postgres").statements("nope")
    with pytest.raises(ValueError, match="holds 3 statements"):
        Templates("postgres").statement("users_replace", target="t", id="i", merged="m", columns="c")
    assert build.key_match(lambda n: f"[{n}]", ("a", "b")) == (
        "t.[a] IS NOT DISTINCT FROM s.[a] AND t.[b] IS NOT DISTINCT FROM s.[b]"
    )


# Upper-case SQL verbs that start a string: the sign of a statement written in place.
_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|CREATE|ALTER|DROP|DELETE|UPDATE|MERGE|COPY|LOCK|SET|WITH)\s")


# The quality checks run SQL in the warehouse too, under the same rule.
QUALITY = WAREHOUSE.parent / "quality"


def test_warehouse_sql_lives_only_in_the_builder_and_the_templates() -> None:
    paths = [p for p in [*WAREHOUSE.rglob("*.py"), *QUALITY.rglob("*.py")] if p.parent.name != "sql"]
    found = inline_statements(paths, _STATEMENT, lambda p: str(p.relative_to(WAREHOUSE.parent)))
    assert found == []

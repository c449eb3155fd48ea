"""One connected warehouse per dialect the comparison runs on, each test in its own schemas."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eventyard.settings import Settings
from eventyard.warehouse.dialects.base import Dialect
from tests.compare.aa_fixture import Shape
from tests.conftest import _fresh_pg_database
from tests.warehouse.ext.conftest import bigquery_endpoint  # noqa: F401 - the session's emulator
from tests.warehouse.ext.redshift_pg import PostgresStagedRedshift, pg_details


@dataclass(frozen=True)
class Warehouse:
    """A connected dialect, the Segment DDL shape it gets, and two fresh schema names."""

    dialect: Dialect
    shape: Shape
    segment_schema: str
    schema: str


def _names() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return f"segment_{suffix}", f"ours_{suffix}"


@pytest.fixture(scope="module")
def postgres_database(pg_server_url: str) -> str:
    """One throw-away Postgres database per module (tests use their own schemas in it)."""
    return _fresh_pg_database(pg_server_url)


@pytest.fixture(params=["duckdb", "postgres", "redshift", "bigquery"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """The comparison's four dialects: DuckDB, Postgres, Redshift's SQL on Postgres, the BigQuery emulator."""
    settings = Settings(home=tmp_path)
    dialect: Dialect
    if request.param == "duckdb":
        from eventyard.warehouse.dialects.duckdb import DuckDBDialect

        dialect = DuckDBDialect({"path": str(tmp_path / "warehouse.duckdb")}, settings)
    elif request.param == "postgres":
        from eventyard.warehouse.dialects.postgres import PostgresDialect

        dialect = PostgresDialect(pg_details(request.getfixturevalue("postgres_database")), settings)
    elif request.param == "redshift":
        dialect = PostgresStagedRedshift(pg_details(request.getfixturevalue("postgres_database")), settings)
    else:
        from eventyard.warehouse.dialects.bigquery import BigQueryDialect
        from tests.warehouse.ext.bq_emulator import PROJECT

        dialect = BigQueryDialect(
            {"project": PROJECT, "apiEndpoint": request.getfixturevalue("bigquery_endpoint")}, settings
        )
    with dialect:
        yield Warehouse(dialect, request.param, *_names())

"""Fixtures for the Redshift / BigQuery / S3 event-log dialect tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventyard.settings import Settings
from tests.conftest import _fresh_pg_database
from tests.warehouse.ext.harness import Warehouse
from tests.warehouse.ext.redshift_pg import PostgresStagedRedshift, pg_details


@pytest.fixture
def ext_settings(state_home: Path) -> Settings:
    """Settings for a dialect (only home and S3 options matter to them)."""
    return Settings(home=state_home)


@pytest.fixture(scope="module")
def redshift_pg_module(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Redshift's SQL on one fresh Postgres database per module (staging: COPY FROM STDIN)."""
    settings = Settings(home=tmp_path_factory.mktemp("redshift-home"))
    dialect = PostgresStagedRedshift(pg_details(_fresh_pg_database(pg_server_url)), settings)
    with dialect:
        yield Warehouse(dialect, dialect.query)


@pytest.fixture
def redshift_pg(redshift_pg_module: Warehouse) -> Warehouse:
    """The module's Redshift-on-Postgres warehouse (tests use their own schema names)."""
    return redshift_pg_module


@pytest.fixture
def schema() -> str:
    """A schema name no other test uses."""
    return f"s_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def bigquery_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The BigQuery emulator's REST endpoint, one emulator per test worker."""
    from tests.warehouse.ext.bq_emulator import bigquery_emulator

    with bigquery_emulator(tmp_path_factory.mktemp("bqemulator")) as url:
        yield url


@pytest.fixture
def bigquery(bigquery_endpoint: str, ext_settings: Settings) -> Iterator[Warehouse]:
    """A BigQueryDialect connected to the emulator."""
    from eventyard.warehouse.dialects.bigquery import BigQueryDialect
    from tests.warehouse.ext.bq_emulator import PROJECT

    dialect = BigQueryDialect({"project": PROJECT, "apiEndpoint": bigquery_endpoint}, ext_settings)
    with dialect:
        yield Warehouse(dialect, dialect.query)

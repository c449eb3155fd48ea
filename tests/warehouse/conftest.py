"""Fixtures: a real warehouse per test (a DuckDB file, or a fresh Postgres database) wired to an
integration in a migrated control DB, with helpers to land batches, load and query."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from eventyard.settings import Settings
from eventyard.warehouse.cycle import load_integration
from eventyard.warehouse.dialects import Dialect, get_dialect
from eventyard.warehouse.report import LoadReport
from tests.conftest import _fresh_pg_database
from tests.warehouse.factories import land_batch, make_integration


@dataclass
class Warehouse:
    """One warehouse integration under test."""

    code: str
    details: dict[str, Any]
    settings: Settings
    source_id: str = ""
    integration_id: str = ""
    schema: str = "my_shop"
    extra: dict[str, Any] = field(default_factory=dict)

    def setup(self, *, source_name: str = "My Shop", config: dict[str, Any] | None = None) -> Warehouse:
        """Create the source + integration (call again for a second integration)."""
        self.source_id, self.integration_id = make_integration(
            self.settings, self.code, self.details, source_name=source_name, config=config
        )
        return self

    def land(self, messages: list[dict[str, Any]], batch_id: str | None = None) -> str:
        """Land one batch for the source."""
        return land_batch(self.settings, self.source_id, messages, batch_id)

    def load(self, **kwargs: Any) -> LoadReport:
        """Run one load of the integration."""
        return load_integration(self.settings, self.integration_id, **kwargs)

    def dialect(self) -> Dialect:
        """A fresh (unconnected) dialect for direct access."""
        return get_dialect(self.code, self.details, self.settings)

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a query, as dicts."""
        with self.dialect() as d:
            return d.query(sql)

    def rows(self, table: str, order: str = "id") -> list[dict[str, Any]]:
        """All rows of a table in the source schema."""
        return self.query(f'SELECT * FROM "{self.schema}"."{table}" ORDER BY "{order}"')

    def snapshot(self) -> dict[str, list[str]]:
        """Every table of the schema with its rows, order-independent (for "nothing changed" checks)."""
        return {
            t: sorted(repr(sorted(r.items())) for r in self.query(f'SELECT * FROM "{self.schema}"."{t}"'))
            for t in sorted(self.tables())
        }

    def columns(self, table: str) -> dict[str, str] | None:
        """Column -> logical type of a table (None if missing)."""
        with self.dialect() as d:
            return d.existing_columns(self.schema, table)

    def tables(self) -> set[str]:
        """Tables in the source schema."""
        found = self.query(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{self.schema}'"
        )
        return {r["table_name"] for r in found}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, sqlite_settings: Settings, tmp_path: Path) -> Warehouse:
    """A DuckDB file or a fresh Postgres database, with an integration for source "My Shop"."""
    if request.param == "duckdb":
        details: dict[str, Any] = {"path": str(tmp_path / "warehouse.duckdb")}
    else:
        details = {"url": _fresh_pg_database(request.getfixturevalue("pg_server_url"))}
    return Warehouse(request.param, details, sqlite_settings).setup()

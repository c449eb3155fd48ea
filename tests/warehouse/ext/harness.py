"""Dialect-neutral helpers for the warehouse-ext tests: load messages, read tables back.

A ``Warehouse`` wraps a connected dialect plus a way to run a SELECT and get dicts back, so the
same segment-spec §6 cases (15-23) run on Redshift-on-Postgres and on the BigQuery emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventyard.warehouse.dialects.base import Dialect
from eventyard.warehouse.loader import TableResult, load_tables
from eventyard.warehouse.schema_map import map_batch

LOADED_AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Warehouse:
    """A connected dialect and a query function returning rows as dicts."""

    dialect: Dialect
    query: Callable[[str], list[dict[str, Any]]]

    def load(
        self, schema: str, messages: list[dict[str, Any]], loaded_at: datetime = LOADED_AT
    ) -> dict[str, TableResult]:
        """Map ``messages`` to Segment tables and load them; fails the test on any table error."""
        results = load_tables(self.dialect, schema, map_batch(messages, self.dialect), loaded_at)
        errors = {name: r.error for name, r in results.items() if r.error}
        assert not errors, errors
        return results

    def rows(self, schema: str, table: str, order_by: str = "id") -> list[dict[str, Any]]:
        """Every row of a table, ordered by one column."""
        q = self.dialect.quote
        return self.query(f"SELECT * FROM {self.dialect.qualified(schema, table)} ORDER BY {q(order_by)}")

    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        """The table's columns and logical types (None if it does not exist)."""
        return self.dialect.existing_columns(schema, table)  # type: ignore[return-value]

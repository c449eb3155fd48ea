"""Table warehouse dialects and the registry that maps a catalog code to one.

Modules are imported lazily, so a missing optional client library (BigQuery, boto3) only
matters to the integrations that use it. Storage destinations (files, no tables) have their
own registry: ``eventyard.warehouse.storage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventyard.settings import Settings
from eventyard.warehouse.dialects.base import Dialect
from eventyard.warehouse.errors import TerminalWarehouseError, WarehouseError
from eventyard.warehouse.target import registered_class

# catalog code -> "module:Class". A new warehouse adds one line here.
DIALECTS: dict[str, str] = {
    "duckdb": "eventyard.warehouse.dialects.duckdb:DuckDBDialect",
    "postgres": "eventyard.warehouse.dialects.postgres:PostgresDialect",
    "amazon_redshift": "eventyard.warehouse.dialects.redshift:RedshiftDialect",
    "google_bigquery": "eventyard.warehouse.dialects.bigquery:BigQueryDialect",
}


class UnknownDialect(TerminalWarehouseError):
    """No dialect is registered for this integration code."""


def dialect_class(code: str) -> type[Dialect]:
    """The Dialect class registered for a catalog code."""
    return registered_class(DIALECTS, code, Dialect, UnknownDialect)


def get_dialect(code: str, connection_details: Mapping[str, Any], settings: Settings) -> Dialect:
    """A (not yet connected) dialect for an integration; use it as a context manager to connect."""
    return dialect_class(code)(connection_details, settings)


__all__ = ["DIALECTS", "Dialect", "UnknownDialect", "WarehouseError", "dialect_class", "get_dialect"]

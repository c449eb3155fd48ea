"""The destination catalog: every destination, its kind, source support and settings fields.

The catalog is data (`destinations.json`, served by Houston's `clickstreamPrototypes` and read
by the delivery framework); this package loads it, validates it, and checks user-supplied
connection details and integration configs against it.

    catalog = load_catalog()
    catalog.validate_connection("amplitude", {"apiKey": "..."})   # -> [] or error messages
    catalog.check_platform("google_firebase", "analytics.js")      # -> why not, or None
"""

from eventyard.catalog.catalog import Catalog
from eventyard.catalog.loader import build_catalog, load_catalog
from eventyard.catalog.models import (
    CALL_TYPES,
    FIELD_TYPES,
    KINDS,
    CatalogError,
    Destination,
    Field,
    Support,
    UnknownDestination,
)
from eventyard.catalog.platforms import PLATFORMS, platform_family

__all__ = [
    "CALL_TYPES",
    "FIELD_TYPES",
    "KINDS",
    "PLATFORMS",
    "Catalog",
    "CatalogError",
    "Destination",
    "Field",
    "Support",
    "UnknownDestination",
    "build_catalog",
    "load_catalog",
    "platform_family",
]

"""Storage destinations: landed batches written as files (S3 Event Logs), not as tables.

The registry maps a catalog code to its ``StorageWriter``; modules are imported lazily, so a
missing client library only matters to the integrations that use it.
"""

from __future__ import annotations

from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.storage.base import StorageWriter
from eventyard.warehouse.target import registered_class

# catalog code -> "module:Class". A new storage destination adds one line here.
STORAGES: dict[str, str] = {
    "s3_event_logs": "eventyard.warehouse.storage.s3_event_logs:S3EventLogsWriter",
}


def storage_class(code: str) -> type[StorageWriter]:
    """The StorageWriter class registered for a catalog code."""
    return registered_class(STORAGES, code, StorageWriter, TerminalWarehouseError)


__all__ = ["STORAGES", "StorageWriter", "storage_class"]

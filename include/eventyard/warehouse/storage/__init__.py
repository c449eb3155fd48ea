"""Storage destinations: landed batches written as files (S3 Event Logs), not as tables.

The registry maps a catalog code to its ``StorageWriter``; modules are imported lazily, so a
missing client library only matters to the integrations that use it.
"""

from __future__ import annotations

import importlib

from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.storage.base import StorageWriter

# catalog code -> "module:Class". A new storage destination adds one line here.
STORAGES: dict[str, str] = {
    "s3_event_logs": "eventyard.warehouse.storage.s3_event_logs:S3EventLogsWriter",
}


def storage_class(code: str) -> type[StorageWriter]:
    """The StorageWriter class registered for a catalog code."""
    try:
        module_name, class_name = STORAGES[code].split(":")
    except KeyError:
        raise TerminalWarehouseError(f"no storage writer for integration code {code!r}") from None
    cls = getattr(importlib.import_module(module_name), class_name)
    assert isinstance(cls, type) and issubclass(cls, StorageWriter)
    return cls


__all__ = ["STORAGES", "StorageWriter", "storage_class"]

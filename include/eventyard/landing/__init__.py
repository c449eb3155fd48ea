"""The landing zone: the fixed Parquet schema of landed batches and the object stores that hold them.

The collector writes here; the warehouse loaders and destination deliverers read from here.
"""

from eventyard.landing.schema import ENVELOPE_SCHEMA, batch_key, read_parquet, write_parquet
from eventyard.landing.store import ObjectStore, StoreError, open_store

__all__ = [
    "ENVELOPE_SCHEMA",
    "ObjectStore",
    "StoreError",
    "batch_key",
    "open_store",
    "read_parquet",
    "write_parquet",
]

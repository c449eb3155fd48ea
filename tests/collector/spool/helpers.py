"""Helpers shared by the spool, crash and S3 tests: spool records and reading the landing back."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventyard.db.engine import engine_for
from eventyard.db.models import Batch
from eventyard.landing import open_store, read_parquet
from eventyard.settings import Settings

SOURCE = "srcAAAAAAAAAAAAAAAAAA"
OTHER_SOURCE = "srcBBBBBBBBBBBBBBBBBB"


def record(
    *,
    source: str = SOURCE,
    received: str = "2024-01-01T10:15:00.000Z",
    message_id: str | None = None,
    rejected: dict[str, str] | None = None,
    **fields: Any,
) -> bytes:
    """One spool record as the API writes it (see the collector contract)."""
    message = {
        "messageId": message_id or str(uuid.uuid4()),
        "type": "track",
        "event": "Order Completed",
        "userId": "user-1",
        "timestamp": "2024-01-01T10:14:59.000Z",
        "receivedAt": received,
        "channel": "server",
        "properties": {"revenue": 9.5},
        **fields,
    }
    spooled = {"sourceId": source, "receivedAt": received, "message": message, "rejected": rejected}
    return orjson.dumps(spooled)


def store_for(settings: Settings) -> Any:
    """The landing store the settings name."""
    return open_store(settings.resolved_landing_url, endpoint_url=settings.s3_endpoint_url)


def landed(settings: Settings, prefix: str = "source=") -> pa.Table:
    """Every landed accepted row (or rejected, with prefix ``rejected/``), concatenated."""
    store = store_for(settings)
    tables = []
    for key in store.list(prefix):
        data = store.get(key)
        tables.append(read_parquet(data) if prefix == "source=" else pq.read_table(pa.BufferReader(data)))
    if not tables:
        return pa.table({"message_id": pa.array([], pa.string())})
    return pa.concat_tables(tables)


def landed_ids(settings: Settings) -> list[str]:
    """Message ids of every landed accepted row (duplicates kept: tests assert there are none)."""
    return landed(settings).column("message_id").to_pylist()


def batches(settings: Settings) -> list[Batch]:
    """Manifest rows."""
    with Session(engine_for(settings.resolved_database_url)) as session:
        return list(session.scalars(select(Batch)))

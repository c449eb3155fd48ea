"""Test helpers: landed batches written the way the collector's flusher writes them, and integrations.

Shared with the warehouse-ext tests (Redshift, BigQuery, S3 event logs).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from eventyard.crypto import encrypt_details
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch, Connection, Integration, Organization, Source
from eventyard.ids import new_id
from eventyard.landing import ENVELOPE_SCHEMA, batch_key, open_store, write_parquet
from eventyard.settings import Settings

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)


def case15_properties() -> dict[str, Any]:
    """segment-spec §6 case 15's Order Completed properties: scalars that become typed columns, a
    list and an object that become JSON text (a fresh dict per call: tests may change it)."""
    return {
        "orderId": "o1",
        "revenue": 14.99,
        "items": 2,
        "products": [{"sku": "a"}],
        "shipping": {"method": "UPS"},
    }


def iso(moment: datetime) -> str:
    """ISO-8601 with milliseconds and Z, the way SDKs send timestamps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message(kind: str, *, offset_s: float = 0.0, **fields: Any) -> dict[str, Any]:
    """A normalized Segment message of ``kind`` (track/identify/page/screen/group/alias).

    Envelope defaults: a fresh ``messageId``, ``receivedAt`` = BASE_TIME + offset, ``timestamp``,
    ``sentAt`` and ``originalTimestamp`` a little earlier. ``fields`` override/extend (camelCase).
    """
    received = BASE_TIME + timedelta(seconds=offset_s)
    base: dict[str, Any] = {
        "type": kind,
        "messageId": f"msg-{next(_ids)}",
        "receivedAt": iso(received),
        "sentAt": iso(received - timedelta(milliseconds=100)),
        "originalTimestamp": iso(received - timedelta(milliseconds=200)),
        "timestamp": iso(received - timedelta(milliseconds=100)),
        "context": {"library": {"name": "analytics-python", "version": "2.3.4"}},
    }
    base.update(fields)
    return base


def _parse(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def landed_table(source_id: str, messages: list[dict[str, Any]]) -> pa.Table:
    """The landing envelope table for ``messages`` (what the flusher writes)."""
    rows = []
    for m in messages:
        received = _parse(m.get("receivedAt")) or BASE_TIME
        rows.append(
            {
                "message_id": m["messageId"],
                "type": m["type"],
                "source_id": source_id,
                "received_at": received,
                "sent_at": _parse(m.get("sentAt")),
                "original_timestamp": _parse(m.get("originalTimestamp")),
                "timestamp": _parse(m.get("timestamp")) or received,
                "user_id": m.get("userId"),
                "anonymous_id": m.get("anonymousId"),
                "event": m.get("event"),
                "name": m.get("name"),
                "category": m.get("category"),
                "group_id": m.get("groupId"),
                "previous_id": m.get("previousId"),
                "channel": m.get("channel"),
                "message": orjson.dumps(m).decode(),
            }
        )
    return pa.Table.from_pylist(rows, schema=ENVELOPE_SCHEMA)


def land_batch(
    settings: Settings, source_id: str, messages: list[dict[str, Any]], batch_id: str | None = None
) -> str:
    """Write ``messages`` as one landed Parquet batch plus its manifest row; returns the batch id."""
    batch_id = batch_id or f"batch-{new_id(12)}"
    store = open_store(settings.resolved_landing_url)
    key = batch_key(source_id, BASE_TIME, batch_id)
    data = write_parquet(landed_table(source_id, messages))
    uri = store.put(key, data)
    with session_scope(get_engine(settings)) as session:
        session.add(
            Batch(id=batch_id, source_id=source_id, uri=uri, row_count=len(messages), byte_size=len(data))
        )
    return batch_id


def make_integration(
    settings: Settings,
    code: str,
    details: dict[str, Any],
    *,
    source_name: str = "My Shop",
    config: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """An organization, source, connection and enabled integration; returns (source_id, integration_id)."""
    with session_scope(get_engine(settings)) as session:
        org = Organization(name="Acme")
        session.add(org)
        session.flush()
        source = Source(org_id=org.id, name=source_name, platform="python")
        connection = Connection(
            org_id=org.id,
            name=f"{code} connection",
            integration_code=code,
            connection_prototype_id=code,
            details_encrypted=encrypt_details(settings, details),
        )
        session.add_all([source, connection])
        session.flush()
        integration = Integration(
            org_id=org.id,
            app_id=source.id,
            connection_id=connection.id,
            integration_code=code,
            name=f"{code} warehouse",
            config=config or {},
        )
        session.add(integration)
        session.flush()
        return source.id, integration.id

"""Test helpers: an organization with a source and integrations, and landed batches of messages
(written the way the collector's flusher does: Parquet in the landing store + a manifest row)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from eventyard.crypto import encrypt_details
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch, Connection, Integration, Organization, Source
from eventyard.landing import ENVELOPE_SCHEMA, batch_key, open_store, write_parquet
from eventyard.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)


def message(kind: str, number: int, **fields: Any) -> dict[str, Any]:
    """A normalized Segment message of ``kind`` with a unique messageId."""
    stamp = (NOW - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    msg: dict[str, Any] = {
        "type": kind,
        "messageId": f"msg-{kind}-{number:06d}",
        "userId": f"user-{number % 97:04d}",
        "anonymousId": f"anon-{number % 89:04d}",
        "timestamp": stamp,
        "originalTimestamp": stamp,
        "receivedAt": NOW.isoformat().replace("+00:00", "Z"),
        "sentAt": stamp,
        "context": {"ip": "203.0.113.7", "library": {"name": "analytics-python", "version": "2.3.3"}},
        "integrations": {},
    }
    if kind == "track":
        msg["event"] = "Order Completed"
        msg["properties"] = {"order_id": f"o_{number}", "revenue": 42.5, "currency": "USD"}
    elif kind in ("page", "screen"):
        msg["name"] = "Checkout"
        msg["properties"] = {"url": "https://shop.example.com/checkout", "title": "Checkout"}
    elif kind == "identify":
        msg["traits"] = {"email": f"user{number}@example.com", "plan": "pro"}
    elif kind == "group":
        msg["groupId"] = f"g_{number % 7}"
        msg["traits"] = {"name": "Acme", "employees": 120}
    elif kind == "alias":
        msg["previousId"] = msg.pop("anonymousId")
    msg.update(fields)
    return msg


def create_org_source(settings: Settings) -> tuple[str, str]:
    """A new organization and one of its sources; returns (org id, source id)."""
    with session_scope(get_engine(settings)) as session:
        org = Organization(name="Acme")
        session.add(org)
        session.flush()
        source = Source(org_id=org.id, name="web", platform="analytics.js")
        session.add(source)
        session.flush()
        return org.id, source.id


def add_integration(
    settings: Settings,
    org_id: str,
    source_id: str,
    code: str,
    connection: dict[str, Any],
    config: dict[str, Any] | None = None,
) -> str:
    """An enabled integration with encrypted connection details; returns its id."""
    with session_scope(get_engine(settings)) as session:
        conn = Connection(
            org_id=org_id,
            name=f"{code} connection",
            integration_code=code,
            connection_prototype_id=f"{code}-v1",
            details_encrypted=encrypt_details(settings, connection),
        )
        session.add(conn)
        session.flush()
        row = Integration(
            org_id=org_id,
            app_id=source_id,
            connection_id=conn.id,
            integration_code=code,
            name=code,
            config=config or {},
        )
        session.add(row)
        session.flush()
        return row.id


def land(settings: Settings, source_id: str, messages: Sequence[dict[str, Any]]) -> Batch:
    """Write messages as one landed Parquet batch and record it in the manifest."""
    received = NOW
    rows = []
    for msg in messages:
        rows.append(
            {
                "message_id": msg["messageId"],
                "type": msg["type"],
                "source_id": source_id,
                "received_at": received,
                "timestamp": received,
                "user_id": msg.get("userId"),
                "anonymous_id": msg.get("anonymousId"),
                "event": msg.get("event"),
                "name": msg.get("name"),
                "group_id": msg.get("groupId"),
                "previous_id": msg.get("previousId"),
                "message": orjson.dumps(msg).decode(),
            }
        )
    table = pa.Table.from_pylist(rows, schema=ENVELOPE_SCHEMA)
    data = write_parquet(table)
    batch_id = uuid.uuid4().hex
    store = open_store(settings.resolved_landing_url)
    uri = store.put(batch_key(source_id, received.replace(minute=0, second=0), batch_id), data)
    with session_scope(get_engine(settings)) as session:
        batch = Batch(
            id=batch_id,
            source_id=source_id,
            uri=uri,
            row_count=len(rows),
            byte_size=len(data),
            min_received_at=received,
            max_received_at=received,
        )
        session.add(batch)
        session.flush()
        return batch

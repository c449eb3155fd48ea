"""Reading a normalized Segment message: its envelope, and its nested payloads flattened to columns."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.warehouse.naming import column_name, rules_of
from eventyard.warehouse.types import Logical
from eventyard.warehouse.values import parse_timestamp

if TYPE_CHECKING:
    from eventyard.warehouse.dialects.base import Dialect

# Every envelope column any table can have, with its fixed type.
ENVELOPE_TYPES: dict[str, Logical] = {
    "id": "text",
    "received_at": "timestamp",
    "sent_at": "timestamp",
    "timestamp": "timestamp",
    "original_timestamp": "timestamp",
    "user_id": "text",
    "anonymous_id": "text",
    "event": "text",
    "event_text": "text",
    "name": "text",
    "category": "text",
    "group_id": "text",
    "previous_id": "text",
}

# The envelope columns every event table has, in the order they are created.
COMMON = ("id", "received_at", "sent_at", "timestamp", "original_timestamp", "user_id", "anonymous_id")


@dataclass(frozen=True, slots=True)
class Envelope:
    """The fixed fields of a message (what the landing schema also stores as columns)."""

    id: str
    type: str
    received_at: datetime | None
    sent_at: datetime | None
    original_timestamp: datetime | None
    timestamp: datetime | None
    user_id: str | None
    anonymous_id: str | None
    event: str | None
    name: str | None
    category: str | None
    group_id: str | None
    previous_id: str | None

    def common(self) -> dict[str, Any]:
        """The envelope columns every event table has (``COMMON``, in that order)."""
        return {name: getattr(self, name) for name in COMMON}


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_timestamp(str(value))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def read_envelope(message: dict[str, Any]) -> Envelope:
    """The envelope of a normalized message (camelCase keys as the collector lands them)."""
    message_id = _text(message.get("messageId"))
    if not message_id:
        # The collector always assigns one; a message without it still gets a stable id so that
        # re-loading it deduplicates instead of duplicating.
        message_id = "sha1-" + hashlib.sha1(orjson.dumps(message, option=orjson.OPT_SORT_KEYS)).hexdigest()
    received = _ts(message.get("receivedAt"))
    timestamp = _ts(message.get("timestamp")) or received
    return Envelope(
        id=message_id,
        type=str(message.get("type") or ""),
        received_at=received,
        sent_at=_ts(message.get("sentAt")),
        original_timestamp=_ts(message.get("originalTimestamp")),
        timestamp=timestamp,
        user_id=_text(message.get("userId")),
        anonymous_id=_text(message.get("anonymousId")),
        event=_text(message.get("event")),
        name=_text(message.get("name")),
        category=_text(message.get("category")),
        group_id=_text(message.get("groupId")),
        previous_id=_text(message.get("previousId")),
    )


def flatten(
    obj: Any, prefix: tuple[str, ...], dialect: Dialect, *, source_prefix: str | None = None
) -> list[tuple[str, str, Any]]:
    """Leaves of a nested object as (column, dotted source path, value), in document order.

    Nested objects are joined with ``_``; arrays are leaves (stored as JSON text); empty objects
    produce nothing. An explicit stack keeps hostile nesting depths from overflowing recursion.
    """
    if type(obj) is not dict:
        return []
    label = source_prefix if source_prefix is not None else ".".join(prefix)
    rules = rules_of(dialect)
    cache = _NAMES.setdefault((rules, label, prefix), {})
    if len(cache) > _NAMES_PER_PREFIX:  # hostile inputs with endless distinct keys
        cache.clear()
    out: list[tuple[str, str, Any]] = []
    append = out.append
    stack: list[tuple[tuple[str, ...], Iterator[tuple[str, Any]]]] = [(prefix, iter(obj.items()))]
    while stack:
        path, items = stack[-1]
        for key, value in items:
            if type(value) is dict:
                stack.append(((*path, str(key)), iter(value.items())))
                break
            parts = (*path, str(key))
            names = cache.get(parts)
            if names is None:
                source = ".".join((label, *parts[len(prefix) :])) if label else ".".join(parts)
                names = cache[parts] = (column_name(parts, dialect), source)
            append((names[0], names[1], value))
        else:
            stack.pop()
    return out


# (rules, label, prefix) -> leaf path -> (column, source): names repeat in every message.
_NAMES: dict[tuple[Any, str, tuple[str, ...]], dict[tuple[str, ...], tuple[str, str]]] = {}
_NAMES_PER_PREFIX = 100_000

"""Server-side enrichment of tracking messages (segment-spec §1.6 and the SDK quirks of §4).

Pure functions on plain dicts: they run once per event on the collector's hot path, so they
avoid pydantic and any allocation they can. ``enrich`` mutates and returns the message.
"""

from __future__ import annotations

import itertools
import secrets
import time
from datetime import datetime
from functools import lru_cache
from typing import Any

from eventyard.collector.timestamps import (
    EPOCH,
    datetime_of,
    format_millis,
    millis_of,
    to_millis,
)

# The window `timestamp` must fall in (docs/collector.md, "Enrichment"): an event cannot predate
# the Unix epoch, nor have happened after it arrived, give or take a day of client clock drift.
EARLIEST_MS = 0
FUTURE_TOLERANCE_MS = 24 * 3600 * 1000
# Library names that identify a mobile SDK (Segment, MetaRouter, RudderStack families).
_MOBILE_LIBRARY_MARKERS = ("ios", "android", "react-native", "swift", "kotlin", "flutter", "xamarin")
Received = tuple[datetime, str]  # arrival time and its ISO-8601 text


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 string as an aware UTC datetime (millisecond precision), else ``None``."""
    parsed = to_millis(value)
    return datetime_of(parsed[0]) if parsed is not None else None


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``: ``2024-01-01T00:00:05.000Z``."""
    return format_millis(millis_of(moment))


# Per-process random prefix + counter: unique across workers and restarts, and far cheaper
# than a uuid4 per event.
_ID_PREFIX = f"api-{secrets.token_hex(8)}-"
_id_counter = itertools.count(1)


def new_message_id() -> str:
    """A message id for events that arrive without one."""
    return f"{_ID_PREFIX}{next(_id_counter)}"


class RequestInfo:
    """What the collector knows about the request that carried a message."""

    __slots__ = (
        "batch_context",
        "batch_integrations",
        "batch_sent_at",
        "channel",
        "client_ip",
        "has_batch_defaults",
        "received_at",
        "received_at_iso",
        "received_ms",
        "source_id",
    )

    def __init__(
        self,
        received: Received | datetime,
        source_id: str,
        channel: str,
        client_ip: str | None = None,
        *,
        batch_sent_at: Any = None,
        batch_context: dict[str, Any] | None = None,
        batch_integrations: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(received, datetime):
            received = (received, format_timestamp(received))
        self.received_at, self.received_at_iso = received
        self.received_ms = millis_of(self.received_at)
        self.source_id = source_id
        self.channel = channel  # "server" (full-word routes), "client" (short routes, pixel)
        self.client_ip = client_ip
        self.batch_sent_at = batch_sent_at
        self.batch_context = batch_context
        self.batch_integrations = batch_integrations
        # Most requests carry no batch-level defaults: their events skip apply_batch_defaults.
        self.has_batch_defaults = batch_sent_at is not None or bool(batch_context) or bool(batch_integrations)


def apply_batch_defaults(message: dict[str, Any], info: RequestInfo) -> None:
    """Batch-level ``sentAt``, ``context`` and ``integrations`` fill what the item lacks."""
    if info.batch_sent_at is not None and message.get("sentAt") is None:
        message["sentAt"] = info.batch_sent_at
    if info.batch_context:
        own = message.get("context")
        message["context"] = {**info.batch_context, **own} if type(own) is dict else dict(info.batch_context)
    if info.batch_integrations:
        own = message.get("integrations")
        message["integrations"] = (
            {**info.batch_integrations, **own} if type(own) is dict else dict(info.batch_integrations)
        )


def normalize_sdk_quirks(message: dict[str, Any]) -> None:
    """MetaRouter and RudderStack SDK shapes, mapped onto the Segment spec (§4).

    - page/screen names sent as ``event`` become ``name`` (and ``event`` is dropped);
    - an alias without ``previousId`` takes it from ``anonymousId``;
    - a top-level ``groupId`` on a non-group call moves to ``context.groupId``.
    """
    kind = message.get("type")
    if kind == "page" or kind == "screen":
        if "event" in message:
            event = message.pop("event")
            if message.get("name") is None and event is not None:
                message["name"] = event
    elif kind == "alias" and message.get("previousId") is None and message.get("anonymousId") is not None:
        message["previousId"] = message["anonymousId"]
    if kind != "group" and "groupId" in message:
        group_id = message.pop("groupId")
        if group_id is not None:
            context = _context_of(message)
            context.setdefault("groupId", group_id)


def correct_clock_skew(message: dict[str, Any], received_ms: int, received_at_iso: str) -> None:
    """Set ``originalTimestamp``, ``timestamp``, ``sentAt`` (normalized) from the client's clocks.

    ``timestamp = receivedAt - (sentAt - originalTimestamp)``; the client's own timestamp is
    kept as ``originalTimestamp``. ``timestamp`` stays within [1970-01-01, receivedAt + 24 h]:
    a corrected time outside it falls back to the client's own time, and that to receivedAt.
    RudderStack sends only ``originalTimestamp``, which then
    plays the same role. Without ``sentAt`` the client's timestamp is trusted as is; without
    any client timestamp the event happened when it arrived. Unparseable values are kept
    under ``invalidTimestamps`` instead of breaking the typed landing columns.
    """
    raw_timestamp = message.get("timestamp")
    raw_original = message.get("originalTimestamp")
    raw_sent = message.get("sentAt")
    # Absent values skip the parser, and the dict of invalid ones exists only when there is one:
    # this runs for every event (decision 0041).
    invalid: dict[str, Any] | None = None

    original = to_millis(raw_timestamp) if raw_timestamp is not None else None
    if original is None:
        if raw_timestamp is not None:
            invalid = {"timestamp": raw_timestamp}
        if raw_original is not None:
            original = to_millis(raw_original)
            if original is None:
                invalid = invalid or {}
                invalid["originalTimestamp"] = raw_original
    sent = None
    if raw_sent is not None:
        sent = to_millis(raw_sent)
        if sent is None:
            invalid = invalid or {}
            invalid["sentAt"] = raw_sent

    if sent is not None:
        message["sentAt"] = sent[1]
    else:
        message.pop("sentAt", None)
    if original is None:
        message.pop("originalTimestamp", None)
        message["timestamp"] = received_at_iso
    else:
        message["originalTimestamp"] = original[1]  # as the client sent it (normalized), always
        latest = received_ms + FUTURE_TOLERANCE_MS
        corrected = received_ms - (sent[0] - original[0]) if sent is not None else None
        if corrected is not None and EARLIEST_MS <= corrected <= latest:
            message["timestamp"] = format_millis(corrected)
        elif EARLIEST_MS <= original[0] <= latest:
            message["timestamp"] = original[1]  # no sentAt, or a sentAt that makes no sense
        else:
            message["timestamp"] = received_at_iso  # year 0001, 9999...: the arrival is the best guess
    if invalid is not None:
        message["invalidTimestamps"] = invalid


def derive_channel(message: dict[str, Any], route_channel: str) -> str:
    """``mobile`` for mobile SDKs, else the route family's channel (``server`` or ``client``)."""
    context = message.get("context")
    if type(context) is dict:
        library = context.get("library")
        if type(library) is dict:
            name = library.get("name")
            if type(name) is str and _is_mobile_library(name):
                return "mobile"
    return route_channel


@lru_cache(maxsize=1024)
def _is_mobile_library(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in _MOBILE_LIBRARY_MARKERS)


def _context_of(message: dict[str, Any]) -> dict[str, Any]:
    context = message.get("context")
    if type(context) is not dict:
        context = {}
        message["context"] = context
    return context


_NUMBERS = (int, float)  # ids sent as numbers become strings (bool is neither: type() is exact)


def enrich(message: dict[str, Any], info: RequestInfo) -> dict[str, Any]:
    """Normalize and enrich one message in place (call after ``apply_batch_defaults``)."""
    message.pop("writeKey", None)
    message_id = message.get("messageId")
    if message_id is None:
        message["messageId"] = new_message_id()
    elif type(message_id) is not str:
        message["messageId"] = str(message_id)
    # Inline rather than a helper per id: this runs for every event (decision 0041).
    user_id = message.get("userId")
    if user_id is not None and type(user_id) in _NUMBERS:
        message["userId"] = str(user_id)
    anonymous_id = message.get("anonymousId")
    if anonymous_id is not None and type(anonymous_id) in _NUMBERS:
        message["anonymousId"] = str(anonymous_id)
    kind = message.get("type")
    if kind == "page" or kind == "screen" or kind == "alias" or "groupId" in message:
        normalize_sdk_quirks(message)  # nothing to do for other events: skip the call
    correct_clock_skew(message, info.received_ms, info.received_at_iso)
    message["receivedAt"] = info.received_at_iso

    context = message.get("context")
    direct = type(context) is dict and context.get("direct") is True
    if info.client_ip and (info.channel == "client" or direct):
        context = _context_of(message)
        # IPv6 addresses are not collected automatically (segment-spec §1.6).
        if not context.get("ip") and ":" not in info.client_ip:
            context["ip"] = info.client_ip
    if type(message.get("channel")) is not str:
        message["channel"] = derive_channel(message, info.channel)
    message["projectId"] = info.source_id
    message["version"] = 2
    return message


_last_received: tuple[int, Received] = (-1, (EPOCH, ""))


def received_now() -> Received:
    """The server clock truncated to milliseconds, and its ISO text (cached within the ms)."""
    global _last_received
    millis = time.time_ns() // 1_000_000
    if millis != _last_received[0]:
        _last_received = (millis, (datetime_of(millis), format_millis(millis)))
    return _last_received[1]

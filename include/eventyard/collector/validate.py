"""Per-event validation: which events of a request are rejected, with a stable code and a reason.

A rejected event never fails its request (a 400 makes SDKs drop the whole batch); it is
spooled with its reason so that it stays inspectable, and it is never loaded or delivered.
"""

from __future__ import annotations

from typing import Any

MAX_EVENT_BYTES = 32 * 1024  # 32768: Segment's per-event (and per single request) limit
MAX_BATCH_BYTES = 500 * 1024  # 512000: per batch request, measured after gunzip
MAX_BATCH_EVENTS = 2500
MAX_MESSAGE_ID_CHARS = 100
# Objects and arrays nested inside one another, the event itself being level 1: the deepest
# event a spool record can hold (orjson serializes at most 255 levels; the record adds one and
# its `message` key another). Checked only when serializing fails, so it costs nothing per event.
MAX_EVENT_DEPTH = 253
# A rejected too-deep event is kept for inspection cut at this depth (deeper values are replaced).
KEPT_DEPTH = 32
CUT_MARKER = "[cut: nested too deep]"

EVENT_TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})

# code -> human-readable reason (the codes are a stable contract: docs/collector.md lists them)
REASONS: dict[str, str] = {
    "not_an_object": "batch item is not a JSON object",
    "invalid_type": "type must be one of identify, track, page, screen, group, alias",
    "no_user_anon_id": "message has neither userId nor anonymousId",
    "invalid_id": "userId and anonymousId must be strings",
    "missing_event": "track call without an event name",
    "missing_group_id": "group call without groupId",
    "missing_user_id": "alias call without userId",
    "missing_previous_id": "alias call without previousId (and no anonymousId to take it from)",
    "message_id_too_long": f"messageId is longer than {MAX_MESSAGE_ID_CHARS} characters",
    "event_too_large": f"event is larger than {MAX_EVENT_BYTES} bytes",
    "too_many_events": f"batch holds more than {MAX_BATCH_EVENTS} events",
    "event_too_deep": f"objects/arrays nested more than {MAX_EVENT_DEPTH} levels deep",
    "invalid_write_key": "the event's writeKey is unknown, disabled or deleted",
}


def _present(value: Any) -> bool:
    return value is not None and value != ""


def check_message_id(message: dict[str, Any]) -> str | None:
    """``message_id_too_long`` before enrichment, when the client's messageId is too long."""
    message_id = message.get("messageId")
    if type(message_id) is str and len(message_id) > MAX_MESSAGE_ID_CHARS:
        return "message_id_too_long"
    return None


def check_message(message: dict[str, Any]) -> str | None:
    """The rejection code of a normalized message, or ``None`` when it is valid."""
    kind = message.get("type")
    if kind not in EVENT_TYPES:
        return "invalid_type"
    user_id = message.get("userId")
    anonymous_id = message.get("anonymousId")
    # _present() inlined: this runs for every event.
    if (user_id is None or user_id == "") and (anonymous_id is None or anonymous_id == ""):
        return "no_user_anon_id"
    if (user_id is not None and type(user_id) is not str) or (
        anonymous_id is not None and type(anonymous_id) is not str
    ):
        return "invalid_id"
    if kind == "track":
        event = message.get("event")
        if type(event) is not str or not event:
            return "missing_event"
    elif kind == "group":
        if not _present(message.get("groupId")):
            return "missing_group_id"
    elif kind == "alias":
        if not _present(user_id):
            return "missing_user_id"
        if not _present(message.get("previousId")):
            return "missing_previous_id"
    return None


def rejection(code: str) -> dict[str, str]:
    """The ``rejected`` object stored with a spooled event."""
    return {"code": code, "reason": REASONS[code]}


def cut(value: Any, levels: int = KEPT_DEPTH) -> Any:
    """A copy of ``value`` whose objects/arrays below ``levels`` are replaced by a marker string."""
    if type(value) not in (dict, list):
        return value
    root: Any = {} if type(value) is dict else []
    stack = [(value, root, 1)]
    while stack:
        source, target, level = stack.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        for key, child in items:
            if type(child) in (dict, list):
                if level >= levels:
                    child_copy: Any = CUT_MARKER
                else:
                    child_copy = {} if type(child) is dict else []
                    stack.append((child, child_copy, level + 1))
            else:
                child_copy = child
            if type(target) is dict:
                target[key] = child_copy
            else:
                target.append(child_copy)
    return root

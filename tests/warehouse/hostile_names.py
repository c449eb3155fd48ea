"""A corpus of hostile property and event names, shared by every dialect's tests.

Each must load with no error, inject nothing, and never silently overwrite another: every
distinct source name ends up in a distinct column or as a documented discard.
"""

from __future__ import annotations

from typing import Any

INJECTIONS = [
    "x; DROP TABLE sentinel; --",
    "'; DROP TABLE sentinel; --",
    '"; DROP TABLE sentinel; --',
    'a"."sentinel',
    "Robert'); DROP TABLE sentinel;--",
    "`; DROP TABLE sentinel; `",
    "]; DROP TABLE sentinel; [",
]

PROPERTY_NAMES: list[str] = [
    # SQL keywords (reserved in one dialect or another)
    "select", "from", "where", "table", "drop", "user", "order", "group", "default", "primary",
    "open", "end", "limit", "offset", "column", "check",
    # quotes, separators, comments, escapes
    'quote"d', "it's", "back`tick", "semi;colon", "--comment", "/* block */", "a\nb", "tab\tbed",
    "back\\slash", "%s", "{}", "{0}", "${x}", "$ref", "a.b", "nul\x00byte",
    *INJECTIONS,
    # unicode
    "ünïcödé", "名前", "emoji 🎉", "Ωmega", "ß", "\u200bzero width",
    # length
    "x" * 300, "y" * 300 + "1", "y" * 300 + "2", "z" * 63, "z" * 64,
    # leading digits and vanishing names
    "1st", "2FA Enabled", "007", "", " ", "$$$", "___",
    # collide after snake-casing
    "firstName", "first_name", "FirstName", "first name",
    "HTTPResponseCode", "httpResponseCode",
    # collide with envelope columns
    "user_id", "userId", "event", "timestamp", "received_at", "uuid_ts", "id", "uuid", "_id",
    "context_ip", "anonymous_id", "sent_at", "original_timestamp", "event_text", "loaded_at",
]  # fmt: skip

EVENT_NAMES: list[str] = [
    "Order Completed", "select", "users", "tracks", "identifies", "discards", "pages", "group",
    *INJECTIONS,
    'Quote"Event', "名前", "🎉", "x" * 300, "x" * 300 + "!", "1st Event", "", "$$$",
    "Event--comment", "ünïcödé event", "a.b", "semi;colon",
]  # fmt: skip


def hostile_properties() -> dict[str, str]:
    """Every hostile property name with a value unique to it (so a value reveals its source)."""
    return {name: f"value-{index}" for index, name in enumerate(PROPERTY_NAMES)}


def hostile_messages(message: Any) -> list[dict[str, Any]]:
    """One track per hostile event name (all carrying every hostile property) and one identify
    with every hostile trait; ``message`` is ``tests.warehouse.factories.message``."""
    props = hostile_properties()
    out = [
        message("track", event=event, userId="u1", messageId=f"hostile-{i}", properties=props)
        for i, event in enumerate(EVENT_NAMES)
    ]
    out.append(message("identify", userId="u1", messageId="hostile-identify", traits=props))
    return out

"""The record-by-record parse of spool records, for segments the fast DuckDB path refuses.

It produces exactly the columns of ``landing_writer._PARSE_SQL``, so the rest of the landing
code does not care which path ran.  Unreadable records land as rejected, never dropped.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pyarrow as pa

_SOURCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Envelope string columns and the message key each one comes from (shared with landing_writer).
STRING_FIELDS = (
    ("message_id", "messageId"),
    ("type", "type"),
    ("user_id", "userId"),
    ("anonymous_id", "anonymousId"),
    ("event", "event"),
    ("name", "name"),
    ("category", "category"),
    ("group_id", "groupId"),
    ("previous_id", "previousId"),
    ("channel", "channel"),
)
TIME_FIELDS = (("sent_at", "sentAt"), ("original_timestamp", "originalTimestamp"), ("timestamp", "timestamp"))
_ENVELOPE_KEYS = STRING_FIELDS + TIME_FIELDS
COLUMNS = (
    "source_id",
    "received",
    "message",
    "reject_code",
    "reject_reason",
    *(column for column, _ in _ENVELOPE_KEYS),
)


def as_text(value: Any) -> str | None:
    """A text column value: strings as they are, other JSON values as their JSON text."""
    if value is None or type(value) is str:
        return value
    return orjson.dumps(value).decode()


def _row(raw: bytes) -> dict[str, str | None]:
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError:
        rec = None
    row: dict[str, str | None] = dict.fromkeys(COLUMNS)
    if type(rec) is not dict:
        row.update(
            source_id="_invalid",
            message=orjson.dumps(raw.decode("utf-8", "replace")).decode(),
            reject_code="unreadable_record",
            reject_reason="spool record is not a JSON object",
        )
        return row
    source, message, rejected = rec.get("sourceId"), rec.get("message"), rec.get("rejected")
    valid_source = type(source) is str and bool(_SOURCE_RE.match(source))
    row["source_id"] = source if valid_source else "_invalid"
    row["received"] = as_text(rec.get("receivedAt"))
    row["message"] = as_text(message) if type(message) is not str else orjson.dumps(message).decode()
    if message is None:
        row["message"] = "null"
    if type(message) is dict:
        for column, key in _ENVELOPE_KEYS:
            row[column] = as_text(message.get(key))
    if not valid_source:
        row["reject_code"], row["reject_reason"] = "invalid_source", "sourceId missing or not a write key"
    elif rejected is not None:
        detail = rejected if type(rejected) is dict else {}
        row["reject_code"] = as_text(detail.get("code")) or "rejected"
        row["reject_reason"] = as_text(detail.get("reason")) if detail else as_text(rejected)
    elif row["message_id"] is None or row["type"] is None:
        row["reject_code"], row["reject_reason"] = "invalid_envelope", "message lacks messageId or type"
    return row


def python_parse(records: list[bytes]) -> pa.Table:
    """Spool records -> the parse table, one ``orjson.loads`` per record."""
    rows = [_row(raw) for raw in records]
    return pa.table({column: pa.array([r[column] for r in rows], type=pa.string()) for column in COLUMNS})

"""Reading a normalized Segment message the way vendor mappings need it.

Shared by the vendor modules: event time in the units vendors want (seconds, milliseconds, ISO),
identities, traits, flattening of nested properties, settings lookup, hashing of user data for
ad platforms, and reset-header arithmetic for rate limits. No vendor knowledge lives here.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import orjson

from eventyard.destinations import base


def setting(integration: base.Integration, name: str, default: Any = None) -> Any:
    """A setting from the connection (credentials) or else the config (options); empty → default."""
    for source in (integration.connection, integration.config):
        value = source.get(name)
        if value not in (None, ""):
            return value
    return default


def required_setting(integration: base.Integration, name: str) -> str:
    """A required string setting; a missing one makes every message undeliverable (dead letter)."""
    value = setting(integration, name)
    if not isinstance(value, str | int) or str(value).strip() == "":
        raise base.InvalidMessage(f"{integration.code}: setting {name!r} is required but missing")
    return str(value).strip()


def require_call_type(message: Mapping[str, Any], skip_reasons: Mapping[str, str]) -> str:
    """The message's call type; raises SkipMessage with the vendor's documented reason for the
    call types it does not take."""
    call_type = str(message.get("type") or "")
    if call_type in skip_reasons:
        raise base.SkipMessage(skip_reasons[call_type])
    return call_type


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string (``Z`` allowed), or None if unparseable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_time(message: Mapping[str, Any]) -> datetime:
    """When the event happened: ``timestamp``, else ``originalTimestamp``, else ``receivedAt``."""
    for key in ("timestamp", "originalTimestamp", "receivedAt", "sentAt"):
        parsed = parse_time(message.get(key))
        if parsed is not None:
            return parsed.astimezone(UTC)
    raise base.InvalidMessage("message has no parseable timestamp")


def unix_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch."""
    return int(moment.timestamp())


def unix_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return round(moment.timestamp() * 1000)


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a ``Z``: ``2026-08-01T12:00:00.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def message_id(message: Mapping[str, Any]) -> str:
    """The message id (the idempotency key every vendor with one receives)."""
    value = message.get("messageId")
    if not isinstance(value, str) or not value:
        raise base.InvalidMessage("message has no messageId")
    return value


def user_id(message: Mapping[str, Any]) -> str | None:
    """``userId`` as a non-empty string, or None."""
    return text(message.get("userId"))


def anonymous_id(message: Mapping[str, Any]) -> str | None:
    """``anonymousId`` as a non-empty string, or None."""
    return text(message.get("anonymousId"))


def text(value: Any) -> str | None:
    """A scalar as a stripped non-empty string, or None (containers and blanks are None)."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def context(message: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` (always a dict)."""
    value = message.get("context")
    return value if isinstance(value, dict) else {}


def properties(message: Mapping[str, Any]) -> dict[str, Any]:
    """``properties`` (always a dict)."""
    value = message.get("properties")
    return dict(value) if isinstance(value, dict) else {}


def traits(message: Mapping[str, Any]) -> dict[str, Any]:
    """The user's traits: ``traits`` on identify/group, ``context.traits`` on other calls."""
    value = message.get("traits") if message.get("type") in ("identify", "group") else None
    if not isinstance(value, dict):
        value = context(message).get("traits")
    return dict(value) if isinstance(value, dict) else {}


def user_traits(message: Mapping[str, Any]) -> dict[str, Any]:
    """The *user's* traits even on group calls (whose ``traits`` describe the group)."""
    if message.get("type") == "identify":
        return traits(message)
    value = context(message).get("traits")
    return dict(value) if isinstance(value, dict) else {}


def email(message: Mapping[str, Any]) -> str | None:
    """The user's email from traits (or properties on track), or None."""
    for source in (user_traits(message), properties(message)):
        value = text(source.get("email"))
        if value and "@" in value:
            return value
    return None


def page_name(message: Mapping[str, Any], kind: str = "Page") -> str:
    """Segment's page/screen event naming: "Viewed {category} {name} Page", or "Loaded a Page"."""
    parts = [str(p) for p in (properties(message).get("category") or message.get("category"),) if p]
    name = message.get("name") or properties(message).get("name")
    if name:
        parts.append(str(name))
    if not parts:
        return f"Loaded a {kind}"
    return f"Viewed {' '.join(parts)} {kind}"


def event_name(message: Mapping[str, Any]) -> str:
    """The event a track, page or screen call stands for: the track's ``event`` (empty when
    missing), else Segment's page/screen naming (``page_name``)."""
    call_type = message.get("type")
    if call_type == "track":
        return str(message.get("event") or "")
    return page_name(message, "Page" if call_type == "page" else "Screen")


def recent_event_time(message: Mapping[str, Any], max_age: timedelta, refusal: str) -> datetime:
    """``event_time``, refused as invalid with ``refusal`` when older than the vendor takes
    (``max_age``): a vendor that drops old events silently would otherwise look delivered."""
    when = event_time(message)
    if datetime.now(UTC) - when > max_age:
        raise base.InvalidMessage(refusal)
    return when


def flatten(obj: Mapping[str, Any], separator: str = "_", arrays_as_json: bool = True) -> dict[str, Any]:
    """Flatten nested dicts into ``a_b_c`` keys (explicit stack, no recursion); arrays become JSON
    text unless ``arrays_as_json`` is False, when they are kept as they are."""
    flat: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[str, Any]]] = [("", obj)]
    while stack:
        prefix, current = stack.pop()
        for key, value in current.items():
            name = f"{prefix}{separator}{key}" if prefix else str(key)
            if type(value) is dict:
                if value:
                    stack.append((name, value))
            elif type(value) is list and arrays_as_json:
                flat[name] = orjson.dumps(value).decode()
            else:
                flat[name] = value
    return flat


def as_text(value: Any) -> str:
    """A property value as vendors that take only strings want it (JSON for containers)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return orjson.dumps(value).decode()


def json_bytes(value: Any) -> bytes:
    """Compact JSON (orjson: UTF-8, no spaces)."""
    return orjson.dumps(value)


def basic_auth(username: str, password: str = "") -> str:
    """An ``Authorization: Basic`` header value."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def sha256_hex(value: str) -> str:
    """Lower-case hex SHA-256 of a UTF-8 string."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def seconds_until(reset_epoch: str | None, now: float | None = None) -> float | None:
    """Seconds from now until a reset time given as epoch seconds (rate-limit reset headers)."""
    if reset_epoch is None:
        return None
    try:
        reset = float(reset_epoch)
    except ValueError:
        return None
    current = time.time() if now is None else now
    return max(0.0, reset - current)


def body_json(body: bytes) -> Any:
    """A response body parsed as JSON, or None when it is not JSON."""
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None


def redact_encoded(integration: base.Integration, text: str, basic_user_setting: str | None = None) -> str:
    """Hide secret settings in their encoded forms too: the base ``redact`` catches only the raw
    value, but form bodies and query strings carry ``quote``/``quote_plus`` versions, and a Basic
    ``Authorization`` header carries base64 of ``user:secret`` (user from ``basic_user_setting``,
    or the secret itself as the user with an empty password)."""
    for key in integration.secret_settings:
        value = setting(integration, key)
        if not isinstance(value, str) or len(value) < 4:
            continue
        user = str(setting(integration, basic_user_setting, "")) if basic_user_setting else ""
        tokens = {
            quote(value, safe=""),
            quote_plus(value),
            basic_auth(value).removeprefix("Basic "),
            basic_auth(user, value).removeprefix("Basic "),
        }
        for token in tokens:
            text = text.replace(token, "********")
    return text


def short(body: bytes, limit: int = 1000) -> str:
    """The start of a response body as text, for error messages."""
    return body[:limit].decode("utf-8", "replace")

"""Input limits shared by every mutation; each failure names the GraphQL argument."""

from __future__ import annotations

from typing import Any

import orjson
from email_validator import EmailNotValidError, validate_email

from eventyard.houston.codes import invalid

MAX_NAME = 200
MAX_EMAIL = 320
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_JSON_BYTES = 64 * 1024
MAX_PROFILE_FIELD = 100


def name(field: str, value: str, *, limit: int = MAX_NAME) -> str:
    """A non-blank display name of at most ``limit`` characters, stripped."""
    stripped = value.strip()
    if not stripped:
        raise invalid(field, "must not be blank")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in stripped):
        # Names end up in mail subjects and UI labels; a line break there is an injection.
        raise invalid(field, "must not contain control characters")
    if len(stripped) > limit:
        raise invalid(field, f"must be at most {limit} characters")
    return stripped


def optional_text(field: str, value: str | None, *, limit: int) -> str | None:
    """An optional free-text value (profile fields); blank becomes ``None``."""
    if value is None or not value.strip():
        return None
    if len(value) > limit:
        raise invalid(field, f"must be at most {limit} characters")
    return name(field, value, limit=limit)


def email(field: str, value: str) -> str:
    """A syntactically valid email, normalized (lower-cased) for lookups."""
    if len(value) > MAX_EMAIL:
        raise invalid(field, f"must be at most {MAX_EMAIL} characters")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise invalid(field, f"not a valid email address ({exc})") from exc
    return result.normalized.lower()


def password(field: str, value: str) -> str:
    """A password of 8 to 1024 characters (the upper bound caps hashing cost)."""
    if len(value) < MIN_PASSWORD:
        raise invalid(field, f"must be at least {MIN_PASSWORD} characters")
    if len(value) > MAX_PASSWORD:
        raise invalid(field, f"must be at most {MAX_PASSWORD} characters")
    return value


def json_object(field: str, value: Any) -> dict[str, Any]:
    """A JSON object of at most 64 KB once serialized."""
    if not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    try:
        size = len(orjson.dumps(value))
    except TypeError as exc:
        raise invalid(field, f"not serializable as JSON ({exc})") from exc
    if size > MAX_JSON_BYTES:
        raise invalid(field, f"must be at most {MAX_JSON_BYTES} bytes as JSON (got {size})")
    return value


def identifier(field: str, value: str) -> str:
    """An id argument; oversized ids cannot exist, so they are refused before any lookup."""
    if not value or len(value) > 64:
        raise invalid(field, "not a valid id")
    return value

"""Checking setting values (connection details, config payloads) against prototype fields.

The same checks run on user input (Houston mutations) and on the catalog's own defaults at
load time, so a default can never be something a user would be refused for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eventyard.catalog.models import Field

MAX_STRING_LENGTH = 10_000

_STRING_TYPES = frozenset({"input", "password", "textarea", "select"})
_TYPE_NAMES = {
    "input": "a string",
    "password": "a string",
    "textarea": "a string",
    "select": "a string",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "map": "an object of string values",
    "json": "an object",
}


def validate_values(fields: Iterable[Field], values: Any, what: str) -> list[str]:
    """Human-readable errors for `values` against `fields`; [] when they are acceptable.

    `what` names the payload in messages ("connection details", "config").  Unknown keys,
    missing or empty required fields and values of the wrong type are all reported at once.
    """
    by_name = {f.property_name: f for f in fields}
    if not isinstance(values, Mapping):
        return [f"{what} must be an object, got {_json_type(values)}"]
    errors: list[str] = []
    for key in values:
        if key not in by_name:
            allowed = ", ".join(by_name) or "none"
            errors.append(f"unknown field {key!r} in {what} (allowed: {allowed})")
    for name, field in by_name.items():
        value = values.get(name)
        if _is_empty(value):
            if field.required:
                errors.append(f"{field.label} ({name}) is required")
                continue
            # Forms send null or "" for an optional field left blank: it is simply not set.
            if value is None or isinstance(value, str):
                continue
        errors.extend(value_errors(field, value))
    return errors


def value_errors(field: Field, value: Any) -> list[str]:
    """Errors for one non-empty value of `field` (type, select options, string length)."""
    name = field.property_name
    kind = field.field_type
    expected = _TYPE_NAMES.get(kind, kind)
    if not _type_matches(kind, value):
        return [f"{name} must be {expected} ({kind}), got {_json_type(value)}"]
    if kind == "select" and value not in field.options:
        return [f"{name} must be one of: {', '.join(field.options)} (got {value!r})"]
    if kind == "array" and field.options:
        bad = [item for item in value if item not in field.options]
        if bad:
            return [f"{name} may only contain: {', '.join(field.options)} (got {bad[0]!r})"]
    if kind == "map":
        bad_keys = [k for k, v in value.items() if not isinstance(v, str)]
        if bad_keys:
            return [
                f"{name} must map names to strings; {bad_keys[0]!r} maps to {_json_type(value[bad_keys[0]])}"
            ]
    if _longest_string(value) > MAX_STRING_LENGTH:
        return [f"{name} is too long (strings are limited to {MAX_STRING_LENGTH:,} characters)"]
    return []


def _type_matches(kind: str, value: Any) -> bool:
    if kind in _STRING_TYPES:
        return isinstance(value, str)
    if kind == "number":
        # bool is an int subclass in Python; `true` is not a number.
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind in ("map", "json"):
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    return False


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


def _longest_string(value: Any) -> int:
    # An explicit stack, not recursion: payloads come from users and may nest deeply.
    longest, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            longest = max(longest, len(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return longest


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

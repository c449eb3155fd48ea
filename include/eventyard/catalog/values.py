"""Checking setting values (connection details, config payloads) against prototype fields.

The same checks run on user input (Houston mutations) and on the catalog's own defaults at
load time, so a default can never be something a user would be refused for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


def resolve_aliases(fields: Iterable[Field], values: Any, what: str) -> tuple[Any, list[str]]:
    """`values` with every alias key renamed to its field's name, and the conflicts found.

    An alias (e.g. the seed document's ``events`` for ``eventAllowList``) is only an input
    spelling: what is stored and read back always uses the catalog's own name.
    """
    if not isinstance(values, Mapping):
        return values, []
    canonical = {alias: f.property_name for f in fields for alias in f.aliases}
    if not canonical.keys() & values.keys():
        return dict(values), []
    resolved: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in values.items():
        name = canonical[key] if key in canonical else str(key)
        if name != key and not _is_empty(values.get(name)):
            errors.append(f"{key!r} is another name for {name!r} in {what}: give one of them, not both")
            continue
        if name not in resolved or _is_empty(resolved[name]):
            resolved[name] = value
    return resolved, errors


def validate_values(
    fields: Iterable[Field], values: Any, what: str, one_of: Sequence[Sequence[str]] = ()
) -> list[str]:
    """Human-readable errors for `values` against `fields`; [] when they are acceptable.

    `what` names the payload in messages ("connection details", "config").  Unknown keys,
    missing or empty required fields and values of the wrong type are all reported at once.
    With `one_of` (alternative field sets), the values use exactly one set, and `required`
    applies only to the fields of that set (and to fields outside every set).
    """
    by_name = {f.property_name: f for f in fields}
    if not isinstance(values, Mapping):
        return [f"{what} must be an object, got {_json_type(values)}"]
    errors: list[str] = []
    for key in values:
        if key not in by_name:
            allowed = ", ".join(by_name) or "none"
            errors.append(f"unknown field {key!r} in {what} (allowed: {allowed})")
    unused, choice_errors = _unused_alternatives(by_name, values, one_of, what)
    errors.extend(choice_errors)
    for name, field in by_name.items():
        value = values.get(name)
        if _is_empty(value):
            if field.required and name not in unused:
                errors.append(f"{field.label} ({name}) is required")
                continue
            # Forms send null or "" for an optional field left blank: it is simply not set.
            if value is None or isinstance(value, str):
                continue
        errors.extend(value_errors(field, value))
    return errors


def _unused_alternatives(
    by_name: Mapping[str, Field], values: Mapping[str, Any], one_of: Sequence[Sequence[str]], what: str
) -> tuple[set[str], list[str]]:
    """The fields of the alternative sets not in use (their `required` does not apply), and errors."""
    if not one_of:
        return set(), []
    used = [group for group in one_of if any(not _is_empty(values.get(n)) for n in group)]
    if len(used) == 1:
        return {n for group in one_of if group is not used[0] for n in group}, []
    choices = " or ".join(
        ", ".join(n for n in group if n in by_name and by_name[n].required) or group[0] for group in one_of
    )
    everything = {n for group in one_of for n in group}
    if used:
        mixed = " and ".join(f"{group[0]}-style fields ({', '.join(group)})" for group in used)
        return everything, [f"{what} mix {mixed}: give {choices}, not both"]
    return everything, [f"{what} need {choices}"]


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

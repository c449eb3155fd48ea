"""Checking setting values (connection details, config payloads) against prototype fields.

The same checks run on user input (Houston mutations) and on the catalog's own defaults at
load time, so a default can never be something a user would be refused for.

Each prototype's fields become a pydantic model (built once per field set, strict types,
unknown keys forbidden); pydantic reports every problem of a payload at once, and
:func:`_message` words each one the way the API has always answered. What pydantic cannot say
stays here: a blank value is "not set" (or "required"), and alternative field sets (``oneOf``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, create_model
from pydantic_core import ErrorDetails, PydanticCustomError

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
    unused, choice_errors = _unused_alternatives(by_name, values, one_of, what)
    required = {n for n, f in by_name.items() if f.required and n not in unused}
    # Forms send null or "" for an optional field left blank: it is simply not set. A blank
    # required field is reported as missing, not as a bad value.
    given = {
        str(key): value
        for key, value in values.items()
        if not (
            key in by_name
            and _is_empty(value)
            and (key in required or value is None or isinstance(value, str))
        )
    }
    problems = _problems(tuple(by_name.values()), given)
    allowed = ", ".join(by_name) or "none"
    errors = [f"unknown field {key!r} in {what} (allowed: {allowed})" for key in given if key not in by_name]
    errors += choice_errors
    for name, field in by_name.items():
        if name in required and _is_empty(values.get(name)):
            errors.append(f"{field.label} ({name}) is required")
        elif name in problems:
            errors.append(problems[name])
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
    problems = _problems((field,), {field.property_name: value})
    return list(problems.values())


def _problems(fields: tuple[Field, ...], values: dict[str, Any]) -> dict[str, str]:
    """The first problem with each key of ``values`` (unknown keys included), worded for users."""
    try:
        settings_model(fields).model_validate(values)
    except ValidationError as exc:
        by_name = {f.property_name: f for f in fields}
        problems: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0])
            if name not in problems:
                field = by_name.get(name)
                problems[name] = _message(field, values[name], error) if field else "unknown field"
        return problems
    return {}


@lru_cache(maxsize=512)
def settings_model(fields: tuple[Field, ...]) -> type[BaseModel]:
    """The pydantic model of a prototype's fields: strict JSON types, no other keys."""
    definitions: dict[str, Any] = {f.property_name: (_annotation(f) | None, None) for f in fields}
    return create_model("Settings", __config__=ConfigDict(extra="forbid", strict=True), **definitions)


def _annotation(field: Field) -> Any:
    kind, options = field.field_type, field.options
    base: Any
    if kind in _STRING_TYPES:
        base = Literal[options] if kind == "select" else str
    elif kind == "number":
        base = float  # strict: ints are numbers, booleans are not
    elif kind == "boolean":
        base = bool
    elif kind == "array":
        base = list[Literal[options]] if options else list[Any]  # type: ignore[valid-type]
    elif kind == "map":
        base = dict[str, str]
    else:  # json (the catalog's loader admits no other field type)
        base = dict[str, Any]
    return Annotated[base, AfterValidator(_short_enough)]


def _short_enough(value: Any) -> Any:
    if _longest_string(value) > MAX_STRING_LENGTH:
        raise PydanticCustomError("too_long", "too long")
    return value


def _message(field: Field, value: Any, error: ErrorDetails) -> str:
    """One pydantic error about ``field`` in the words the API has always used."""
    name, kind, loc = field.property_name, field.field_type, error["loc"]
    if error["type"] == "too_long":
        return f"{name} is too long (strings are limited to {MAX_STRING_LENGTH:,} characters)"
    if error["type"] == "literal_error" and len(loc) == 1:
        return f"{name} must be one of: {', '.join(field.options)} (got {value!r})"
    if error["type"] == "literal_error" and kind == "array":
        return f"{name} may only contain: {', '.join(field.options)} (got {value[loc[1]]!r})"
    if kind == "map" and len(loc) == 2:
        return f"{name} must map names to strings; {loc[1]!r} maps to {_json_type(value[loc[1]])}"
    return f"{name} must be {_TYPE_NAMES.get(kind, kind)} ({kind}), got {_json_type(value)}"


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

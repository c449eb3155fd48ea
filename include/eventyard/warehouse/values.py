"""Logical types of JSON values, and the casts allowed into an existing column type.

Rules (the warehouse contract): ISO-8601 strings are timestamps; integers are bigint (or double
beyond 64 bits); a column's type is the first type seen, with integers widening into doubles;
anything can be stored in a text column; everything else that does not fit is a discard.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from eventyard.errors import EventyardError
from eventyard.warehouse.types import Logical

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
# Date, or date-time with optional seconds, fraction and zone: the shapes SDKs and people send.
_ISO_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_INT_RE = re.compile(r"[+-]?\d{1,19}")


class Uncastable(EventyardError):
    """A value does not fit the column's type."""


def parse_timestamp(text: str) -> datetime | None:
    """An aware UTC datetime for an ISO-8601 string, or None when it is not one."""
    if not _ISO_RE.fullmatch(text):
        return None
    candidate = text
    if "." in candidate:
        # Python parses at most microseconds; SDKs may send nanoseconds.
        head, _, tail = candidate.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits > 6:
            candidate = f"{head}.{tail[:6]}{tail[digits:]}"
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def logical_type_of(value: Any) -> Logical:
    """The logical type a non-null JSON value would create a column with."""
    kind = type(value)
    if kind is bool:
        return "boolean"
    if kind is int:
        return "bigint" if _INT64_MIN <= value <= _INT64_MAX else "double"
    if kind is float:
        return "double"
    if kind is str:
        return "timestamp" if parse_timestamp(value) is not None else "text"
    return "text"


def to_text(value: Any) -> str:
    """A value as column text: strings unchanged, everything else as JSON (arrays, numbers)."""
    if type(value) is str:
        return value
    if type(value) is datetime:
        return value.isoformat()
    return orjson.dumps(value).decode()


def cast_value(value: Any, target: Logical) -> Any:
    """``value`` converted for a column of type ``target``; raises Uncastable if it cannot be."""
    kind = type(value)
    if target == "text":
        return to_text(value)
    if target == "double":
        if kind is float or kind is int:
            return float(value)
        if kind is str:
            try:
                number = float(value)
            except ValueError:
                raise Uncastable("not a number") from None
            if number != number or number in (float("inf"), float("-inf")):
                raise Uncastable("not a finite number")
            return number
    elif target == "bigint":
        if kind is int and _INT64_MIN <= value <= _INT64_MAX:
            return value
        if kind is float and value.is_integer() and _INT64_MIN <= value <= _INT64_MAX:
            return int(value)
        if kind is str and _INT_RE.fullmatch(value) and _INT64_MIN <= int(value) <= _INT64_MAX:
            return int(value)
    elif target == "boolean":
        if kind is bool:
            return value
        if kind is str and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif target == "timestamp":
        if kind is datetime:
            return value
        if kind is str:
            parsed = parse_timestamp(value)
            if parsed is not None:
                return parsed
    raise Uncastable(f"{logical_type_of(value)} value does not fit a {target} column")


def infer_column_type(values: list[Any]) -> Logical | None:
    """A new column's type: the first non-null value's, except that ints and doubles make double."""
    first: Logical | None = None
    for value in values:
        if value is None:
            continue
        kind = logical_type_of(value)
        if first is None:
            first = kind
            if first != "bigint":
                return first
        elif kind == "double":
            return "double"
    return first

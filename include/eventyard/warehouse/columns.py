"""Building typed Arrow columns from raw JSON values, with discards for values that do not fit.

The fast paths check the Python types of a whole column at C speed (``set(map(type, ...))``)
and hand homogeneous columns straight to Arrow; only mixed columns go value by value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eventyard.warehouse.types import ARROW_TYPES, Logical
from eventyard.warehouse.values import Uncastable, cast_value, to_text

_NONE = type(None)
_HOMOGENEOUS: dict[str, set[type]] = {
    "text": {str, _NONE},
    "bigint": {int, _NONE},
    "double": {float, int, _NONE},
    "boolean": {bool, _NONE},
}

# Called as on_discard(row_index, value, reason) for each value that had to be nulled.
OnDiscard = Callable[[int, Any, str], None]


def build_column(values: list[Any], target: Logical, on_discard: OnDiscard) -> pa.Array:
    """An Arrow array of ``target`` type from raw values; misfits become null and are reported."""
    arrow_type = ARROW_TYPES[target]
    kinds = set(map(type, values))
    if kinds <= _HOMOGENEOUS.get(target, {_NONE}):
        try:
            return pa.array(values, type=arrow_type)
        except (pa.ArrowInvalid, OverflowError):
            pass  # e.g. an int beyond 64 bits: fall through to the careful path
    elif target == "timestamp" and kinds <= {str, _NONE}:
        try:
            return pc.cast(pa.array(values, type=pa.string()), arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # date-only or odd forms: parse one by one below
    elif target == "timestamp" and kinds <= {datetime, _NONE}:
        return pa.array(values, type=arrow_type)
    out: list[Any] = []
    append = out.append
    for index, value in enumerate(values):
        if value is None:
            append(None)
            continue
        try:
            append(cast_value(value, target))
        except Uncastable as exc:
            on_discard(index, value, str(exc))
            append(None)
    return pa.array(out, type=arrow_type)


def discard_text(value: Any) -> str:
    """How a discarded value is written to the discards table."""
    return to_text(value)

"""Fitting a batch's rows to the warehouse's existing columns (the first type seen wins).

A column that already exists keeps its type: batch values are cast into it (integers widen into
doubles, anything becomes text) and values that cannot be cast are nulled and recorded as
discards. Columns the table does not have yet are returned so the loader can add them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eventyard.warehouse.columns import build_column, discard_text
from eventyard.warehouse.types import ARROW_TYPES, Discard, Logical, TableRows


def reconcile(rows: TableRows, existing: dict[str, Logical] | None) -> tuple[TableRows, dict[str, Logical]]:
    """``rows`` cast to the types of ``existing`` columns, and the columns still to be added.

    ``existing`` is None for a table that does not exist yet (then every column is new).
    """
    if existing is None:
        return rows, dict(rows.columns)
    discards = list(rows.discards)
    columns: dict[str, Logical] = {}
    arrays: list[pa.Array] = []
    new: dict[str, Logical] = {}
    ids: list[Any] | None = None
    received: list[Any] | None = None
    for name, batch_type in rows.columns.items():
        array = rows.data.column(name)
        target = existing.get(name)
        if target is None:
            new[name] = batch_type
            target = batch_type
        elif target != batch_type:
            if batch_type == "bigint" and target == "double":
                array = pc.cast(array, ARROW_TYPES["double"])
            else:
                if ids is None:
                    ids = rows.data.column("id").to_pylist()
                    received = rows.data.column("received_at").to_pylist()
                found: list[tuple[int, Any, str]] = []
                array = build_column(array.to_pylist(), target, _collector(found))
                assert received is not None
                discards.extend(
                    Discard(rows.name, str(ids[i]), name, discard_text(v), r, received[i])
                    for i, v, r in found
                )
        columns[name] = target
        arrays.append(array)
    data = pa.Table.from_arrays(arrays, names=list(columns))
    fitted = TableRows(rows.name, rows.kind, columns, data, rows.key, rows.sources, discards)
    return fitted, new


def _collector(found: list[tuple[int, Any, str]]) -> Callable[[int, Any, str], None]:
    return lambda index, value, reason: found.append((index, value, reason))


def concat_rows(parts: list[TableRows]) -> TableRows:
    """One TableRows from several of the same table (e.g. one per batch), types fitted in order."""
    combined = parts[0]
    for part in parts[1:]:
        fitted, new = reconcile(part, combined.columns)
        # Earlier parts lack the new columns; the later part may lack some of the earlier ones.
        columns = {**combined.columns, **new}
        left = _widen(combined.data, columns)
        right = _widen(fitted.data, columns)
        combined = TableRows(
            combined.name,
            combined.kind,
            columns,
            pa.concat_tables([left, right]),
            combined.key,
            {**fitted.sources, **combined.sources},
            combined.discards + fitted.discards,
        )
    return combined


def _widen(data: pa.Table, columns: dict[str, Logical]) -> pa.Table:
    """``data`` with all ``columns`` in that order (missing ones as nulls)."""
    arrays = [
        data.column(n) if n in data.column_names else pa.nulls(data.num_rows, ARROW_TYPES[t])
        for n, t in columns.items()
    ]
    return pa.Table.from_arrays(arrays, names=list(columns))

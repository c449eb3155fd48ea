"""Combining the rows one table got from several groups of a batch (e.g. ``tracks`` from every
event), with the same typing rules as mapping the whole batch at once."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from eventyard.errors import EventyardError
from eventyard.warehouse.types import ARROW_TYPES, Logical, TableRows


class TypeConflict(EventyardError):
    """A column got different types from different groups; the batch must be mapped as a whole."""


def combine_parts(parts: list[tuple[pa.Array, TableRows]]) -> TableRows:
    """One TableRows from (original row positions, rows) parts, rows back in batch order.

    Column types must agree across parts, except that integers and doubles make a double
    (``map_batch``'s rule); any other disagreement raises TypeConflict.
    """
    if len(parts) == 1:
        return parts[0][1]
    columns: dict[str, Logical] = {}
    for _, rows in parts:
        for name, logical in rows.columns.items():
            seen = columns.get(name)
            if seen is None or seen == logical:
                columns[name] = logical
            elif {seen, logical} == {"bigint", "double"}:
                columns[name] = "double"
            else:
                raise TypeConflict(f"{rows.name}.{name}: {seen} vs {logical}")
    tables = []
    for _, rows in parts:
        arrays = []
        for name, logical in columns.items():
            if name in rows.columns:
                arrays.append(rows.data.column(name).cast(ARROW_TYPES[logical]))
            else:
                arrays.append(pa.nulls(rows.num_rows, ARROW_TYPES[logical]))
        tables.append(pa.Table.from_arrays(arrays, names=list(columns)))
    positions = pa.concat_arrays([p for p, _ in parts])
    data = pa.concat_tables(tables).take(pc.sort_indices(positions))
    first = parts[0][1]
    sources: dict[str, str] = {}
    for _, rows in parts:
        sources = {**rows.sources, **sources}
    discards = [d for _, rows in parts for d in rows.discards]
    return TableRows(first.name, first.kind, columns, data, first.key, sources, discards)

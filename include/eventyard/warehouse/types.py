"""Value types shared by the schema mapping, the dialects and the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa

Logical = Literal["timestamp", "bigint", "double", "boolean", "text"]
LOGICAL_TYPES: tuple[Logical, ...] = ("timestamp", "bigint", "double", "boolean", "text")

ARROW_TYPES: dict[str, pa.DataType] = {
    "timestamp": pa.timestamp("us", tz="UTC"),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "text": pa.string(),
}

# What kind of table a TableRows is; the loader picks the merge strategy from it.
TableKind = Literal[
    "tracks", "event", "identifies", "users", "pages", "screens", "groups", "aliases", "discards"
]

# Columns only the stage has: the row's position in the batch (Dialect.merge adds it), and in the
# users upsert whether a candidate row is the stored one (0) or a staged one (1). Both break ties.
ROW_COLUMN = "__eventyard_row"
SOURCE_COLUMN = "__eventyard_src"

DISCARDS_TABLE = "discards"
DISCARD_COLUMNS: dict[str, Logical] = {
    "table_name": "text",
    "row_id": "text",
    "column_name": "text",
    "column_value": "text",
    "reason": "text",
    "received_at": "timestamp",
    "uuid_ts": "timestamp",
}
# A value discarded once is recorded once, however often its batch is loaded (the reason names
# the source path, so two names discarded into one column stay two rows).
DISCARD_KEY = ("table_name", "row_id", "column_name", "reason")


@dataclass(frozen=True)
class Discard:
    """A value that could not be stored: it was nulled (or dropped) and is kept here instead."""

    table_name: str
    row_id: str
    column_name: str
    column_value: str
    reason: str
    received_at: datetime | None


@dataclass
class TableRows:
    """Rows for one warehouse table, column-oriented.

    ``columns`` is the ordered column -> logical type map; ``data`` holds one Arrow column per
    entry, in the same order, typed by ``ARROW_TYPES``. ``key`` is what rows are deduplicated on
    (``("id",)`` for event tables). ``sources`` names the message path each column came from
    (for docs and discards). ``discards`` are values this batch could not place.
    """

    name: str
    kind: TableKind
    columns: dict[str, Logical]
    data: pa.Table
    key: tuple[str, ...] = ("id",)
    sources: dict[str, str] = field(default_factory=dict)
    discards: list[Discard] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        """How many rows."""
        return int(self.data.num_rows)

    def rows(self) -> list[dict[str, Any]]:
        """The rows as dicts (timestamps as aware datetimes); convenient, not fast."""
        return list(self.data.to_pylist())

    def with_data(self, columns: dict[str, Logical], data: pa.Table) -> TableRows:
        """A copy with other columns/data (same name, kind, key and sources)."""
        return TableRows(self.name, self.kind, columns, data, self.key, self.sources, self.discards)


def empty_arrow(columns: dict[str, Logical]) -> pa.Table:
    """An empty Arrow table with the given columns."""
    return pa.table({n: pa.array([], type=ARROW_TYPES[t]) for n, t in columns.items()})

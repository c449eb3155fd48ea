"""The vectorized twin of ``schema_map.map_batch`` for landed Arrow batches.

Arrow's multi-threaded JSON reader parses every message of a batch at once; tables are then cut
out with masks and payload structs are flattened column by column, so no Python code runs per
value on the happy path. Anything this path does not handle exactly like ``map_batch`` raises
``Fallback`` (a property whose type changes within the batch, two source names landing in one
column, ...), and the batch (or just the group) is mapped by ``map_batch`` instead — same
result, slower. Every fallback is logged at WARNING with its cause and counted in the load
report, so a bug in the fast path shows instead of hiding behind the slow one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from eventyard.errors import EventyardError
from eventyard.warehouse.arrow_json import read_json
from eventyard.warehouse.batches import messages_of_table
from eventyard.warehouse.columns import build_column, discard_text
from eventyard.warehouse.combine import combine_parts
from eventyard.warehouse.flatten import COMMON, ENVELOPE_TYPES
from eventyard.warehouse.naming import column_name, snake_case, table_name_for_event
from eventyard.warehouse.schema_map import LOADER_COLUMNS, RENAMED, TABLE_ENVELOPE, map_batch
from eventyard.warehouse.types import ARROW_TYPES, Discard, Logical, TableKind, TableRows
from eventyard.warehouse.values import parse_timestamp, to_text

if TYPE_CHECKING:
    from eventyard.warehouse.dialects.base import Dialect

log = logging.getLogger(__name__)
_ENVELOPE_SOURCES = {
    "id": "message_id", "received_at": "received_at", "sent_at": "sent_at", "timestamp": "timestamp",
    "original_timestamp": "original_timestamp", "user_id": "user_id", "anonymous_id": "anonymous_id",
    "event_text": "event", "name": "name", "category": "category", "group_id": "group_id",
    "previous_id": "previous_id",
}  # fmt: skip
_SIMPLE: dict[str, Logical] = {"bool": "boolean", "int64": "bigint", "double": "double"}


class Fallback(EventyardError):
    """This batch needs the row-by-row mapper."""


@dataclass
class MappedBatch:
    """A landed batch as per-table rows, and why any part of it was mapped row by row."""

    tables: dict[str, TableRows]
    fallbacks: list[str] = field(default_factory=list)


def map_landed(table: pa.Table, dialect: Dialect) -> MappedBatch:
    """Map a landed batch (envelope schema) to per-table rows, vectorized when possible.

    Each event (and each other call type) is parsed on its own, so a property that is a number
    in one event and a string in another costs nothing; only a group whose own values conflict
    is mapped row by row. ``tracks`` (and event tables shared by two spellings of a name) are
    put back together in batch order.
    """
    mapped = MappedBatch({})
    if table.num_rows == 0:
        return mapped
    try:
        mapped.tables = _map_groups(table, dialect, mapped.fallbacks)
    except Exception as exc:  # a context type differing between groups, or anything unforeseen
        _fell_back(mapped.fallbacks, f"the whole batch ({table.num_rows} messages)", exc)
        mapped.tables = map_batch(messages_of_table(table), dialect)
    return mapped


def _fell_back(causes: list[str], what: str, exc: Exception) -> None:
    cause = f"{what}: {type(exc).__name__}: {exc}"[:500]
    log.warning("fast mapper fell back to the row mapper for %s", cause)
    causes.append(cause)


def _map_groups(table: pa.Table, dialect: Dialect, fallbacks: list[str]) -> dict[str, TableRows]:
    types = table.column("type")
    events = pc.fill_null(table.column("event"), "")
    keys = pc.if_else(pc.equal(types, "track"), pc.binary_join_element_wise("track", events, "\x1f"), types)
    parts: dict[str, list[tuple[pa.Array, TableRows]]] = {}
    unique = pc.unique(keys).to_pylist()  # in order of first appearance
    for key in unique:
        mask = pc.equal(keys, key)
        positions = pc.indices_nonzero(mask)
        group = table if len(unique) == 1 else table.filter(mask)
        try:
            tables = _ArrowMapper(group, dialect).run()
        except Exception as exc:  # values of one property disagree within the group
            _fell_back(fallbacks, f"group {key.replace(chr(0x1F), ' ')!r} ({group.num_rows} messages)", exc)
            tables = map_batch(messages_of_table(group), dialect)
        for name, rows in tables.items():
            part_positions = positions if name != "users" else pc.filter(positions, _has_user(group))
            parts.setdefault(name, []).append((part_positions, rows))
    return {name: combine_parts(p) for name, p in parts.items()}


def _has_user(group: pa.Table) -> pa.Array:
    return pc.is_valid(group.column("user_id")).combine_chunks()


class _ArrowMapper:
    def __init__(self, table: pa.Table, dialect: Dialect) -> None:
        self.table = table
        self.dialect = dialect
        parsed = read_json(table.column("message"))
        if parsed.num_rows != table.num_rows:
            raise Fallback("message count differs after parsing")
        self.parsed = parsed
        self.types = table.column("type")

    def payload(self, name: str) -> pa.ChunkedArray | None:
        if name not in self.parsed.column_names:
            return None
        column = self.parsed.column(name)
        return column if pa.types.is_struct(column.type) else None

    def run(self) -> dict[str, TableRows]:
        out: dict[str, TableRows] = {}
        is_track = pc.equal(self.types, "track")
        if pc.any(is_track).as_py():
            events = pc.fill_null(self.table.column("event"), "")
            slugs = {e: snake_case(e) for e in pc.unique(pc.filter(events, is_track)).to_pylist()}
            slug_array = _lookup(events, slugs)
            extra = {"event": slug_array, "event_text": events}
            out["tracks"] = self.build("tracks", "tracks", is_track, extra, None)
            for event in slugs:
                mask = pc.and_(is_track, pc.equal(events, event))
                name = table_name_for_event(event, self.dialect)
                out[name] = self.build(name, "event", mask, extra, "properties")
        for kind, table, payload in (
            ("identify", "identifies", "traits"),
            ("page", "pages", "properties"),
            ("screen", "screens", "properties"),
            ("group", "groups", "traits"),
            ("alias", "aliases", None),
        ):
            mask = pc.equal(self.types, kind)
            if pc.any(mask).as_py():
                out[table] = self.build(table, table, mask, {}, payload)  # type: ignore[arg-type]
        identified = pc.and_(pc.equal(self.types, "identify"), pc.is_valid(self.table.column("user_id")))
        if pc.any(identified).as_py():
            extra = {"id": self.table.column("user_id")}
            out["users"] = self.build("users", "users", identified, extra, "traits")
        return out

    def build(
        self, name: str, kind: TableKind, mask: Any, extra: dict[str, Any], payload: str | None
    ) -> TableRows:
        # Groups are homogeneous, so the mask usually selects every row: then skip the copies.
        if pc.all(mask).as_py():
            mask = None
        envelope = TABLE_ENVELOPE[kind]
        reserved = frozenset((*envelope, *LOADER_COLUMNS, *(COMMON if kind == "users" else ())))
        columns: dict[str, Logical] = {}
        arrays: list[pa.Array] = []
        sources: dict[str, str] = {}
        discards: list[Discard] = []
        ids = _select(self.table.column("user_id" if kind == "users" else "message_id"), mask)
        received = _select(self.table.column("received_at"), mask)
        for column in envelope:
            source = extra.get(column)
            array = source if source is not None else self.table.column(_ENVELOPE_SOURCES[column])
            arrays.append(_select(array, mask).combine_chunks().cast(ARROW_TYPES[ENVELOPE_TYPES[column]]))
            columns[column] = ENVELOPE_TYPES[column]
            sources[column] = column
        messages = _Lazy(lambda: _select(self.table.column("message"), mask))
        leaves = list(self._leaves(mask, "context", ("context",), ()))
        if payload:
            leaves += list(self._leaves(mask, payload, (), ()))
        for parts, source_parts, array in leaves:
            label = ".".join(source_parts)
            column = column_name(parts, self.dialect)
            if not label.startswith("context."):
                column = RENAMED.get(column, column)
                if column in reserved or column.startswith("context_"):
                    discards += self._discards(name, ids, received, messages, array, source_parts, column)
                    continue
            if column in columns:
                raise Fallback(f"two source names map to column {column!r}")
            logical, typed = self._typed(name, ids, received, messages, array, source_parts, column, discards)
            columns[column] = logical
            arrays.append(typed)
            sources[column] = label
        data = pa.Table.from_arrays(arrays, names=list(columns))
        return TableRows(name, kind, columns, data, ("id",), sources, discards)

    def _leaves(
        self, mask: Any, field: str, prefix: tuple[str, ...], path: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], pa.Array]]:
        root = self.payload(field)
        if root is None:
            return
        stack: list[tuple[tuple[str, ...], pa.Array]] = [((), _select(root, mask).combine_chunks())]
        while stack:
            path, array = stack.pop(0)
            for index, child_field in enumerate(array.type):
                child = pc.struct_field(array, [index])
                child_path = (*path, child_field.name)
                if pa.types.is_struct(child_field.type):
                    stack.insert(0, (child_path, child))
                elif child.null_count < len(child) and not pa.types.is_null(child_field.type):
                    yield (*prefix, *child_path), (field, *child_path), child

    def _typed(
        self, table: str, ids: Any, received: Any, messages: Any, array: pa.Array, parts: tuple[str, ...],
        column: str, discards: list[Discard],
    ) -> tuple[Logical, pa.Array]:  # fmt: skip
        kind = str(array.type)
        if kind in _SIMPLE:
            return _SIMPLE[kind], array
        if pa.types.is_timestamp(array.type):
            return "timestamp", array.cast(pa.timestamp("s", tz="UTC")).cast(ARROW_TYPES["timestamp"])
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            first = array.drop_null()[0].as_py()
            if parse_timestamp(first) is None:
                return "text", array.cast(pa.string())

            def on_discard(i: int, value: Any, reason: str) -> None:
                discards.append(
                    Discard(
                        table, str(ids[i].as_py()), column, discard_text(value), reason, received[i].as_py()
                    )
                )

            return "timestamp", build_column(array.to_pylist(), "timestamp", on_discard)
        if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
            return "text", pa.array(self._original(messages, array, parts), type=pa.string())
        raise Fallback(f"unexpected Arrow type {array.type} for {'.'.join(parts)}")

    def _original(self, messages: Any, array: pa.Array, parts: tuple[str, ...]) -> list[str | None]:
        """Exact JSON text of array values, re-read from the messages (Arrow unifies struct keys)."""
        valid = array.is_valid().to_pylist()
        out: list[str | None] = []
        for i, ok in enumerate(valid):
            if not ok:
                out.append(None)
                continue
            value: Any = orjson.loads(messages()[i].as_py())
            for part in parts:
                value = value[part]
            out.append(to_text(value))
        return out

    def _discards(
        self,
        table: str,
        ids: Any,
        received: Any,
        messages: Any,
        array: pa.Array,
        parts: tuple[str, ...],
        column: str,
    ) -> list[Discard]:
        values = self._original(messages, array, parts)
        reason = f"envelope column: {'.'.join(parts)} is dropped"
        return [
            Discard(table, str(ids[i].as_py()), column, v, reason, received[i].as_py())
            for i, v in enumerate(values)
            if v is not None
        ]


def _select(array: Any, mask: Any) -> Any:
    """``array`` filtered by ``mask`` (None: every row)."""
    return array if mask is None else pc.filter(array, mask)


class _Lazy:
    """A value computed on first call (the filtered messages are rarely needed)."""

    def __init__(self, compute: Any) -> None:
        self._compute = compute
        self._value: Any = None

    def __call__(self) -> Any:
        if self._value is None:
            self._value = self._compute()
        return self._value


def _lookup(values: pa.ChunkedArray, mapping: dict[str, str]) -> pa.ChunkedArray:
    """``mapping[v]`` for each value (values missing from mapping keep themselves)."""
    keys = list(mapping)
    index = pc.index_in(values, value_set=pa.array(keys, type=pa.string()))
    mapped = pc.take(pa.array([mapping[k] for k in keys], type=pa.string()), index)
    return pc.coalesce(mapped, values)

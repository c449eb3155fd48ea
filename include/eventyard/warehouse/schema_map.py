"""Messages -> per-table rows in Segment's warehouse layout (segment-spec §3).

``map_batch`` is the one place that decides which table a message lands in and which columns
it fills:

- ``tracks``: envelope + ``event`` (slug) + ``event_text`` (raw name), no properties;
- one table per event: the same + flattened properties;
- ``identifies``: envelope + flattened traits; ``users``: one row per user id (traits, context);
- ``pages`` / ``screens``: envelope + ``name``, ``category`` + properties;
- ``groups``: envelope + ``group_id`` + traits; ``aliases``: envelope + ``previous_id``.

Properties and traits that collide with envelope columns are dropped (``id`` -> ``_id`` and
``uuid`` -> ``_uuid`` are kept, as Segment does); two source names that land in one column in
the same message keep one value and record the other as a discard, so nothing is overwritten
silently. Column types are inferred per batch here; ``reconcile`` then fits them to the
warehouse's existing columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from eventyard.warehouse.columns import build_column, discard_text
from eventyard.warehouse.flatten import COMMON, ENVELOPE_TYPES, Envelope, flatten, read_envelope
from eventyard.warehouse.naming import snake_case, table_name_for_event
from eventyard.warehouse.types import Discard, Logical, TableKind, TableRows
from eventyard.warehouse.values import infer_column_type

if TYPE_CHECKING:
    from eventyard.warehouse.dialects.base import Dialect

# Envelope columns of each table, in the order they are created.
TABLE_ENVELOPE: dict[str, tuple[str, ...]] = {
    "tracks": (*COMMON, "event", "event_text"),
    "event": (*COMMON, "event", "event_text"),
    "identifies": COMMON,
    "pages": (*COMMON, "name", "category"),
    "screens": (*COMMON, "name", "category"),
    "groups": (*COMMON, "group_id"),
    "aliases": (*COMMON, "previous_id"),
    "users": ("id", "received_at"),
}
# Columns the loader adds; a property with one of these names is dropped too.
LOADER_COLUMNS = ("uuid_ts", "loaded_at", "uuid")
# Property names Segment keeps under a "_" prefix instead of dropping (real DDL: `_id`, `_uuid`).
RENAMED = {"id": "_id", "uuid": "_uuid"}
PAYLOAD_OF = {"track": "properties", "page": "properties", "screen": "properties", "identify": "traits",
              "group": "traits"}  # fmt: skip
TYPE_TABLE: dict[str, TableKind] = {"identify": "identifies", "page": "pages", "screen": "screens",
                                    "group": "groups", "alias": "aliases"}  # fmt: skip


class _TableBuilder:
    """Collects one table's rows as dicts, then types them column by column."""

    def __init__(self, name: str, kind: TableKind) -> None:
        self.name = name
        self.kind = kind
        self.envelope = TABLE_ENVELOPE[kind]
        # users rows come from identifies, so identify's envelope stays reserved there too.
        self.reserved = frozenset((*self.envelope, *LOADER_COLUMNS, *(COMMON if kind == "users" else ())))
        self.rows: list[dict[str, Any]] = []
        self.received: list[Any] = []
        self.order: dict[str, None] = dict.fromkeys(self.envelope)
        self.sources: dict[str, str] = {c: c for c in self.envelope}
        self.discards: list[Discard] = []
        # (column, source) -> whether a payload value collides with the envelope and is dropped.
        self._dropped: dict[tuple[str, str], bool] = {}

    def add(self, env: Envelope, fixed: dict[str, Any], leaves: list[tuple[str, str, Any]]) -> None:
        """One row: envelope values plus (column, source path, value) leaves, context first."""
        row = dict(fixed)
        owner: dict[str, str] = {}
        dropped = self._dropped
        for column, source, value in leaves:
            if value is None:
                continue
            drop = dropped.get((column, source))
            if drop is None:
                drop = dropped[(column, source)] = not source.startswith("context.") and (
                    column in self.reserved or column.startswith("context_")
                )
            if drop:
                self._discard(env, column, value, f"envelope column: {source} is dropped")
                continue
            previous = owner.get(column)
            if previous is not None:
                # Two source names, one column: keep the canonical spelling, record the other.
                keep_new = _preferred(source, previous, column)
                loser, lost_value = (previous, row[column]) if keep_new else (source, value)
                if lost_value != (value if keep_new else row[column]):
                    self._discard(env, column, lost_value, f"name collision: {loser} also maps here")
                if not keep_new:
                    continue
            owner[column] = source
            row[column] = value
            if column not in self.order:
                self.order[column] = None
                self.sources[column] = source
        self.rows.append(row)
        self.received.append(env.received_at)

    def _discard(self, env: Envelope, column: str, value: Any, reason: str) -> None:
        row_id = env.user_id if self.kind == "users" else env.id
        self.discards.append(
            Discard(self.name, str(row_id), column, discard_text(value), reason, env.received_at)
        )

    def build(self) -> TableRows:
        """Type every column and return the table's rows."""
        columns: dict[str, Logical] = {}
        arrays: list[pa.Array] = []
        for column in self.order:
            values = [row.get(column) for row in self.rows]
            target = ENVELOPE_TYPES.get(column) if column in self.envelope else None
            target = target or infer_column_type(values) or "text"

            def on_discard(index: int, value: Any, reason: str, column: str = column) -> None:
                row = self.rows[index]
                self.discards.append(
                    Discard(
                        self.name, str(row["id"]), column, discard_text(value), reason, self.received[index]
                    )
                )

            arrays.append(build_column(values, target, on_discard))
            columns[column] = target
        data = pa.Table.from_arrays(arrays, names=list(columns))
        return TableRows(self.name, self.kind, columns, data, ("id",), self.sources, self.discards)


def _preferred(new: str, old: str, column: str) -> bool:
    """Whether ``new`` beats ``old`` for ``column``: the source already spelled like the column wins,
    else the lexicographically smaller path, so the outcome never depends on key order."""
    new_exact = new.rsplit(".", 1)[-1] == column
    old_exact = old.rsplit(".", 1)[-1] == column
    if new_exact != old_exact:
        return new_exact
    return new < old


def map_batch(messages: Iterable[dict[str, Any]], dialect: Dialect) -> dict[str, TableRows]:
    """Map normalized Segment messages to rows per warehouse table (see the module docstring)."""
    builders: dict[str, _TableBuilder] = {}

    def builder(name: str, kind: TableKind) -> _TableBuilder:
        found = builders.get(name)
        if found is None:
            found = builders[name] = _TableBuilder(name, kind)
        return found

    for message in messages:
        env = read_envelope(message)
        context = flatten(message.get("context"), ("context",), dialect)
        kind = env.type
        base = env.common()
        if kind == "track":
            event_text = env.event or ""
            extra = {"event": snake_case(event_text), "event_text": event_text}
            builder("tracks", "tracks").add(env, {**base, **extra}, context)
            payload = _payload(message, "properties", dialect)
            builder(table_name_for_event(event_text, dialect), "event").add(
                env, {**base, **extra}, context + payload
            )
        elif kind in TYPE_TABLE:
            table = TYPE_TABLE[kind]
            fixed = dict(base)
            if table in ("pages", "screens"):
                fixed.update(name=env.name, category=env.category)
            elif table == "groups":
                fixed["group_id"] = env.group_id
            elif table == "aliases":
                fixed["previous_id"] = env.previous_id
            payload = _payload(message, PAYLOAD_OF[kind], dialect) if kind in PAYLOAD_OF else []
            builder(table, table).add(env, fixed, context + payload)
            if kind == "identify" and env.user_id:
                user_fixed = {"id": env.user_id, "received_at": env.received_at}
                builder("users", "users").add(env, user_fixed, context + payload)
    return {name: b.build() for name, b in builders.items()}


def _payload(message: dict[str, Any], key: str, dialect: Dialect) -> list[tuple[str, str, Any]]:
    """Flattened properties/traits with Segment's renames of ``id`` and ``uuid``."""
    leaves = flatten(message.get(key), (), dialect, source_prefix=key)
    return [(RENAMED.get(column, column), source, value) for column, source, value in leaves]

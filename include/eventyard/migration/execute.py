"""Run a merge plan: table by table, in chunks of ``received_at``, each chunk one transaction with
its ledger row, then the reconciliation.

- DDL first (create a Segment-only table, ALTER TABLE ADD the Segment-only columns, widen ours).
- Chunks are ranges ``(previous hi, hi]`` of about ``chunk_rows`` rows before the cutover, cut
  by the warehouse (``segment_chunks.sql``). A chunk writes its discards, inserts its rows whose
  id our table lacks (one per id), and records itself in ``_eventyard_segment_merge`` in our
  schema, all in one transaction: a merge killed mid-table resumes after its last committed chunk,
  and a finished one re-run finds nothing left to do.
- ``users`` merges by id through the loader's own users upsert (latest non-null trait by
  ``received_at``), every Segment user whatever the cutover: it is state, not events.
- Reconciliation per table: Segment rows = merged + already present (by id) + after the cutover,
  and no Segment row before the cutover is missing from ours (checked by id in SQL).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventyard.dataclass_json import fields_dict
from eventyard.migration.ops import Chunk, MergeOps
from eventyard.migration.plan import _FAR, LEDGER_TABLE, MergePlan, TablePlan
from eventyard.migration.rules import ColumnDecision
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.sql import build
from eventyard.warehouse.types import DISCARD_COLUMNS, DISCARD_KEY, DISCARDS_TABLE, Logical

# "After nothing yet": the lower bound of the first chunk (Segment's received_at is its server clock).
_BEGIN = datetime(1, 1, 2, tzinfo=UTC)
LEDGER_COLUMNS: dict[str, Logical] = {
    "segment_schema": "text",
    "table_name": "text",
    "cutover": "text",
    "chunk_hi": "timestamp",
    "row_count": "bigint",
    "merged": "bigint",
    "discarded": "bigint",
    "committed_at": "timestamp",
}
DEFAULT_CHUNK_ROWS = 250_000
_stages = itertools.count()

# (table, rows done, rows to merge): called after every committed chunk.
Progress = Callable[[str, int, int], None]
# TableResult fields whose ``--json`` key says more than the field name.
_RESULT_KEYS = {"present": "already_present", "discarded": "discarded_values"}


class ReconciliationFailed(TerminalWarehouseError):
    """A table's counts do not add up after the merge (the message has the figures)."""


@dataclass
class TableResult:
    """One table's merge and its reconciliation."""

    table: str
    segment_rows: int
    merged: int
    present: int
    after_cutover: int
    discarded: int
    missing: int
    chunks_run: int
    chunks_before: int  # chunks a previous (killed or finished) run had committed

    @property
    def ok(self) -> bool:
        """Nothing lost: every Segment row is merged, already present, or after the cutover."""
        return self.segment_rows == self.merged + self.present + self.after_cutover and self.missing == 0

    def line(self) -> str:
        """The reconciliation line for a person."""
        verdict = "OK" if self.ok else f"MISMATCH ({self.missing} Segment ids before the cutover not in ours)"
        return (
            f"{self.table}: Segment {self.segment_rows} = merged {self.merged} + already present"
            f" {self.present} + after cutover {self.after_cutover} -> {verdict}"
            f" (discarded values {self.discarded}; chunks run {self.chunks_run}, resumed after"
            f" {self.chunks_before})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The result for ``--json`` and the task's XCom: the fields, then ``ok``."""
        return {**fields_dict(self, rename=_RESULT_KEYS), "ok": self.ok}


def prepare(ops: MergeOps, plan: MergePlan, table: TablePlan) -> None:
    """The table's DDL: create it or add Segment's columns, widen ours, and the side tables."""
    d, schema = ops.dialect, plan.schema
    d.ensure_schema(schema)
    d.create_table(schema, LEDGER_TABLE, LEDGER_COLUMNS, ())
    if any(c.action == "discard" for c in table.decisions):
        d.create_table(schema, DISCARDS_TABLE, DISCARD_COLUMNS, DISCARD_KEY)
    if table.create:
        columns = {c.name: c.segment.logical for c in table.decisions if c.segment}
        d.create_table(schema, table.table, columns, ("id",))
        return
    added = {c.name: c.segment.logical for c in table.decisions if c.action == "add" and c.segment}
    if added:
        d.add_columns(schema, table.table, added)
    target = d.qualified(schema, table.table)
    for c in table.decisions:
        if c.action == "widen" and c.new_type:
            d.run([d.sql.statement("segment_widen", table=target, column=d.quote(c.name), type=c.new_type)])


def expression(ops: MergeOps, c: ColumnDecision) -> str:
    """How one Segment column becomes ours (aliased to our name)."""
    d = ops.dialect
    q = d.quote(c.name)
    if c.action == "keep" or (c.action == "widen" and c.segment and c.segment.logical == "text"):
        return f"s.{q} AS {q}"
    logical = (
        c.ours.logical if c.action == "cast" and c.ours else (c.segment.logical if c.segment else "text")
    )
    return f"CAST(s.{q} AS {d.type_for(logical)}) AS {q}"


def run_table(
    ops: MergeOps, plan: MergePlan, table: TablePlan, *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
) -> TableResult:  # fmt: skip
    """Merge one table (resuming after its committed chunks) and reconcile it."""
    if table.kind not in ("events", "users"):
        raise ValueError(f"{table.table} is not merged ({table.kind})")
    d, schema = ops.dialect, plan.schema
    prepare(ops, plan, table)
    cutover = _FAR if table.kind == "users" or plan.cutover is None else plan.cutover
    source, target = d.qualified(plan.segment_schema, table.table), d.qualified(schema, table.table)
    ledger = d.qualified(schema, LEDGER_TABLE)
    keys = (plan.segment_schema, table.table, plan.cutover_key)
    before = ops.query(d.sql.statement("segment_ledger_progress", ledger=ledger), keys)[0]
    done = int(before["row_count"])
    if progress:
        progress(table.table, done, table.to_merge)

    chunks: list[tuple[bool, datetime, datetime, int]] = []
    if table.null_received and not int(before["null_chunks"]):
        chunks.append((True, _BEGIN, _BEGIN, table.null_received))
    after = _aware(before["hi"]) or _BEGIN
    null_left = table.null_received if chunks else 0
    ranged_left = table.to_merge - int(before["row_count"]) - null_left
    # What fits in one chunk needs no ranking sort: its bounds are one aggregate.
    cut = "segment_range" if ranged_left <= chunk_rows else "segment_chunks"
    bounds_params: tuple[Any, ...] = (
        (after, cutover) if cut == "segment_range" else (chunk_rows, after, cutover)
    )
    for row in ops.query(d.sql.statement(cut, source=source), bounds_params):
        if int(row["row_count"]) == 0:
            continue
        chunks.append((False, after, _aware(row["hi"]) or _BEGIN, int(row["row_count"])))
        after = _aware(row["hi"]) or _BEGIN

    columns = table.merged_columns
    names = build.column_list(d.quote, [c.name for c in columns])
    exprs = ", ".join(expression(ops, c) for c in columns)
    template = ops.insert_template(schema, table.table) if table.kind == "events" else ""
    ours = d.existing_columns(schema, table.table) or {}
    types = {c.name: d.type_for(ours[c.name]) for c in columns}
    for is_null, lo, hi, rows in chunks:
        bounds: tuple[bool, datetime, datetime] = (is_null, lo, hi)
        with ops.transaction(schema, table.table):
            discarded = _discard(ops, plan, table, source, target, bounds)
            if table.kind == "users":
                merged = _users_chunk(ops, plan, table, source, target, exprs, bounds)
            else:
                parts = {"target": target, "source": source, "columns": names, "expressions": exprs}
                merged = ops.insert_chunk(Chunk(template, parts, bounds, rows, types))
            ledger_row = (*keys, None if is_null else hi, rows, merged, discarded)
            ops.execute(d.sql.statement("segment_ledger_insert", ledger=ledger), ledger_row)
        done += rows
        if progress:
            progress(table.table, done, table.to_merge)
    return reconcile(ops, plan, table, chunks_run=len(chunks), chunks_before=int(before["chunks"]))


def _discard(
    ops: MergeOps, plan: MergePlan, table: TablePlan, source: str, target: str, bounds: tuple[Any, ...]
) -> int:
    d = ops.dialect
    written = 0
    for c in table.decisions:
        if c.action != "discard":
            continue
        sql = d.sql.statement(
            "segment_discards",
            discards=d.qualified(plan.schema, DISCARDS_TABLE),
            source=source,
            target=target,
            column=d.quote(c.name),
            text=d.type_for("text"),
        )
        written += ops.execute(sql, (table.table, c.name, c.reason, *bounds))
    return written


def _users_chunk(
    ops: MergeOps, plan: MergePlan, table: TablePlan, source: str, target: str, exprs: str,
    bounds: tuple[Any, ...],
) -> int:  # fmt: skip
    """Stage a chunk of Segment's users in our types, then the loader's users upsert."""
    d = ops.dialect
    stage = f"eventyard_segment_users_{os.getpid()}_{next(_stages)}"
    named = ops.stage_name(plan.schema, stage)
    create = d.sql.statement("segment_users_stage", stage=named, source=source, expressions=exprs)
    ops.execute(create, bounds)
    try:
        new = ops.query(d.sql.statement("segment_new_ids", stage=named, target=target))[0]["new_rows"]
        ours = d.existing_columns(plan.schema, table.table) or {}
        staged = {c.name: ours[c.name] for c in table.merged_columns}
        for statement in ops.users_statements(plan.schema, stage, staged, ours):
            ops.execute(statement)
    finally:
        ops.execute(d.sql.statement("segment_drop_stage", stage=named))
    return int(new)


def reconcile(
    ops: MergeOps, plan: MergePlan, table: TablePlan, *, chunks_run: int = 0, chunks_before: int = 0
) -> TableResult:
    """Count again, in the warehouse: Segment's rows, the ledger's sums, and missing ids."""
    d = ops.dialect
    source, target = d.qualified(plan.segment_schema, table.table), d.qualified(plan.schema, table.table)
    cutover = _FAR if table.kind == "users" or plan.cutover is None else plan.cutover
    counts = ops.query(d.sql.statement("segment_counts", source=source), (cutover,))[0]
    sums = ops.query(
        d.sql.statement("segment_ledger_progress", ledger=d.qualified(plan.schema, LEDGER_TABLE)),
        (plan.segment_schema, table.table, plan.cutover_key),
    )[0]
    missing = ops.query(d.sql.statement("segment_missing", source=source, target=target), (cutover,))[0]
    rows, merged = int(sums["row_count"]), int(sums["merged"])
    return TableResult(
        table=table.table,
        segment_rows=int(counts["total"]),
        merged=merged,
        present=rows - merged,
        after_cutover=int(counts["after_cutover"]),
        discarded=int(sums["discarded"]),
        missing=int(missing["missing"]),
        chunks_run=chunks_run,
        chunks_before=chunks_before,
    )


def _aware(value: Any) -> datetime | None:
    """A timestamp from the warehouse as an aware UTC datetime (Redshift's have no zone)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)

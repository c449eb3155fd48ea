"""The audit and plan of a Segment merge: every table on either side, columns side by side, the
decision for each difference, the cutover and how many rows it leaves out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from eventyard.dataclass_json import fields_dict
from eventyard.migration.catalog import ColumnInfo, Tables
from eventyard.migration.ops import MergeOps
from eventyard.migration.rules import ColumnDecision, decide
from eventyard.warehouse.types import DISCARDS_TABLE

LEDGER_TABLE = "_eventyard_segment_merge"
# Tables that only our loader or this merge keep; never merged, not listed as "only in Eventyard".
INTERNAL_TABLES = frozenset({LEDGER_TABLE, DISCARDS_TABLE})
# Where Eventyard's first event for a source shows (the default cutover): every event is in one.
EVENT_TABLES = ("tracks", "identifies", "pages", "screens", "groups", "aliases")
# Segment's envelope: a table without these is not one of Segment's event tables.
REQUIRED = ("id", "received_at")

TableKind = Literal["events", "users", "skip", "ours_only"]
# TablePlan fields whose ``--json`` key says more than the field name.
_PLAN_KEYS = {"after_cutover": "rows_after_cutover"}


@dataclass
class TablePlan:
    """One table: what exists on each side and what the merge does."""

    table: str
    kind: TableKind
    reason: str
    decisions: list[ColumnDecision] = field(default_factory=list)
    create: bool = False  # only Segment has it: created in our schema with Segment's columns
    segment_rows: int = 0
    after_cutover: int = 0
    null_received: int = 0

    @property
    def to_merge(self) -> int:
        """Segment rows before the cutover (those without received_at count as before)."""
        return self.segment_rows - self.after_cutover

    @property
    def merged_columns(self) -> list[ColumnDecision]:
        """The columns the insert lists, in our table's order (added columns last, as ALTER adds them)."""
        return [d for d in self.decisions if d.merged]

    def to_dict(self) -> dict[str, Any]:
        """The table's plan for ``--json``: its counts and flags, then ``rows_to_merge`` and the decisions."""
        head = fields_dict(self, rename=_PLAN_KEYS, omit=("decisions", "null_received"))
        return {**head, "rows_to_merge": self.to_merge, "columns": [d.to_dict() for d in self.decisions]}


@dataclass
class MergePlan:
    """The audit of a Segment schema against ours, and the merge it implies."""

    dialect: str
    segment_schema: str
    schema: str
    cutover: datetime | None
    cutover_source: str
    tables: list[TablePlan]

    def table(self, name: str) -> TablePlan:
        """One table's plan."""
        for plan in self.tables:
            if plan.table == name:
                return plan
        raise KeyError(name)

    @property
    def cutover_key(self) -> str:
        """How the ledger names this cutover (a chunk committed under another one is not reused)."""
        return self.cutover.isoformat() if self.cutover else "none"

    def to_dict(self) -> dict[str, Any]:
        """The plan for ``--json``."""
        return {
            "dialect": self.dialect,
            "segment_schema": self.segment_schema,
            "schema": self.schema,
            "cutover": self.cutover.isoformat() if self.cutover else None,
            "cutover_source": self.cutover_source,
            "tables": [t.to_dict() for t in self.tables],
        }

    def lines(self) -> list[str]:
        """The audit for a person: per table its columns side by side and each decision."""
        cut = self.cutover.isoformat() if self.cutover else "none (Eventyard has no events yet)"
        out = [
            f"Segment schema {self.segment_schema!r} -> Eventyard schema {self.schema!r} ({self.dialect})",
            f"cutover: {cut} ({self.cutover_source}); Segment rows received from then on are left out",
        ]
        for t in self.tables:
            out.append("")
            head = f"== {t.table} [{t.kind}] {t.reason}"
            if t.kind in ("events", "users"):
                head += (
                    f"; Segment rows {t.segment_rows}, to merge {t.to_merge},"
                    f" left out by the cutover {t.after_cutover}"
                )
            out.append(head)
            if t.decisions:
                out.append(f"   {'column':<28} {'segment (pos)':<34} {'eventyard (pos)':<34} decision")
            for d in t.decisions:
                seg = f"{d.segment.physical} ({d.segment.position})" if d.segment else "-"
                ours = f"{d.ours.physical} ({d.ours.position})" if d.ours else "-"
                new = f" -> {d.new_type}" if d.new_type else ""
                out.append(f"   {d.name:<28} {seg:<34} {ours:<34} {d.action}{new}: {d.reason}")
        return out


def internal(table: str) -> bool:
    """A table of our loader or of this merge (ledger, discards, a left-over stage)."""
    return table in INTERNAL_TABLES or table.startswith(("_eventyard_", "eventyard_segment_"))


def first_received(ops: MergeOps, schema: str, ours: Tables) -> datetime | None:
    """When Eventyard received its first event for this source (its event tables' minimum)."""
    d = ops.dialect
    firsts = []
    for table in EVENT_TABLES:
        if table in ours:
            row = ops.query(d.sql.statement("segment_first_received", table=d.qualified(schema, table)))
            first = row[0]["first_received"] if row else None
            if isinstance(first, datetime):  # Redshift's have no zone: they hold UTC
                firsts.append(first if first.tzinfo else first.replace(tzinfo=UTC))
    return min(firsts) if firsts else None


def column_decisions(ops: MergeOps, theirs: list[ColumnInfo], ours: list[ColumnInfo]) -> list[ColumnDecision]:
    """Every column of either side: ours in our order, then Segment's own in Segment's order."""
    by_name = {c.name: c for c in theirs}
    ours_names = {c.name for c in ours}
    pairs = [(by_name.get(c.name), c) for c in ours] + [(c, None) for c in theirs if c.name not in ours_names]
    d = ops.dialect
    rules = {"widenable": ops.widenable, "text_lengths": ops.text_lengths, "text_type": ops.text_type}
    return [decide(t, o, type_for=d.type_for, **rules) for t, o in pairs]


def build_plan(ops: MergeOps, segment_schema: str, schema: str, cutover: datetime | None) -> MergePlan:
    """Read both schemas, decide per column, count rows per table against the cutover."""
    d = ops.dialect
    theirs_tables = ops.read_tables(segment_schema)
    if not theirs_tables:
        raise LookupError(f"no tables in the Segment schema {segment_schema!r}")
    ours_tables = {t: c for t, c in ops.read_tables(schema).items() if not internal(t)}
    source = "--cutover"
    if cutover is None:
        cutover = first_received(ops, schema, ours_tables)
        source = "the first event Eventyard received" if cutover else "no Eventyard events: everything merges"
    plans: list[TablePlan] = []
    for name in sorted(set(theirs_tables) | set(ours_tables)):
        theirs, ours = theirs_tables.get(name), ours_tables.get(name)
        if theirs is None:
            plans.append(TablePlan(name, "ours_only", "only in Eventyard: nothing to merge"))
            continue
        missing = [c for c in REQUIRED if c not in {col.name for col in theirs}]
        if missing or (ours is not None and any(c not in {col.name for col in ours} for c in REQUIRED)):
            plans.append(TablePlan(name, "skip", f"not a Segment event table (no {', '.join(REQUIRED)})"))
            continue
        kind: TableKind = "users" if name == "users" else "events"
        plan = TablePlan(
            name,
            kind,
            "only in Segment: created in ours" if ours is None else "on both sides",
            decisions=column_decisions(ops, theirs, ours or []),
            create=ours is None,
        )
        counts = ops.query(
            d.sql.statement("segment_counts", source=d.qualified(segment_schema, name)), (cutover or _FAR,)
        )[0]
        plan.segment_rows, plan.null_received = int(counts["total"]), int(counts["null_received"])
        # users is state, not events: every Segment user merges (by id, latest non-null trait).
        plan.after_cutover = 0 if kind == "users" else int(counts["after_cutover"])
        plans.append(plan)
    return MergePlan(d.name, segment_schema, schema, cutover, source, plans)


# "No cutover" as a bound value every warehouse accepts (BigQuery's last representable day).
_FAR = datetime.fromisoformat("9999-12-31T00:00:00+00:00")

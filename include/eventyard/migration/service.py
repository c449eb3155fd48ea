"""The merge as the CLI and the DAG run it: from an integration id to a plan, a run, a reconciliation.

The warehouse, its connection and our schema come from the integration (``table_setup``), once.
The default cutover is stable across runs: the cutover an earlier run of the same Segment schema
used (kept in the ledger), else the first event Eventyard landed for the source (the landing
manifest), else the first row in our event tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch
from eventyard.migration.execute import DEFAULT_CHUNK_ROWS, Progress, TableResult, run_table
from eventyard.migration.ops import MergeOps, ops_for
from eventyard.migration.plan import LEDGER_TABLE, MergePlan, build_plan
from eventyard.settings import Settings
from eventyard.warehouse.integration import TableSetup, table_setup


@dataclass
class MergeOutcome:
    """A merge run: its plan and one reconciled result per merged table."""

    plan: MergePlan
    results: list[TableResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every table reconciles."""
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        """The outcome for ``--json`` and XCom."""
        return {
            "cutover": self.plan.cutover.isoformat() if self.plan.cutover else None,
            "tables": [r.to_dict() for r in self.results],
            "ok": self.ok,
        }


@contextmanager
def connected(settings: Settings, integration_id: str) -> Iterator[tuple[TableSetup, MergeOps]]:
    """The integration's warehouse, connected, with its merge operations started."""
    setup = table_setup(settings, integration_id)
    with setup.dialect as dialect:
        ops = ops_for(dialect)
        ops.start()
        yield setup, ops


def parse_cutover(value: str | datetime | None) -> datetime | None:
    """``--cutover`` as an aware UTC datetime (ISO 8601; no zone means UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"cutover {value!r} is not an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def default_cutover(
    settings: Settings, setup: TableSetup, ops: MergeOps, segment_schema: str, schema: str
) -> tuple[datetime | None, str]:
    """An earlier run's cutover, else the first event Eventyard landed for the source (None: let
    the plan take the first row of our event tables); and where it came from."""
    d = ops.dialect
    if d.existing_columns(schema, LEDGER_TABLE) is not None:
        sql = d.sql.statement("segment_ledger_cutover", ledger=d.qualified(schema, LEDGER_TABLE))
        earlier = ops.query(sql, (segment_schema,))[0]["cutover"]
        if earlier and earlier != "none":
            return parse_cutover(str(earlier)), "the cutover of the earlier run"
    with session_scope(get_engine(settings)) as session:
        first = session.scalar(
            select(func.min(Batch.min_received_at)).where(Batch.source_id == setup.source_id)
        )
    return (parse_cutover(first), "the first event Eventyard landed") if first else (None, "")


def plan_in(
    settings: Settings, setup: TableSetup, ops: MergeOps, segment_schema: str,
    schema: str | None, cutover: str | datetime | None,
) -> MergePlan:  # fmt: skip
    """The plan on an open connection."""
    schema = schema or setup.schema
    chosen = parse_cutover(cutover)
    source = "--cutover" if chosen else ""
    if chosen is None:
        chosen, source = default_cutover(settings, setup, ops, segment_schema, schema)
    plan = build_plan(ops, segment_schema, schema, chosen)
    if source:
        plan.cutover_source = source
    return plan


def plan_merge(
    settings: Settings, integration_id: str, segment_schema: str, schema: str | None = None,
    cutover: str | datetime | None = None,
) -> MergePlan:  # fmt: skip
    """The audit and plan (reads only)."""
    with connected(settings, integration_id) as (setup, ops):
        return plan_in(settings, setup, ops, segment_schema, schema, cutover)


def run_merge(
    settings: Settings, integration_id: str, segment_schema: str, schema: str | None = None,
    cutover: str | datetime | None = None, *, tables: list[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: Progress | None = None,
) -> MergeOutcome:  # fmt: skip
    """Plan, then merge every mergeable table (or just ``tables``) and reconcile each."""
    if chunk_rows < 1:
        raise ValueError("chunk rows must be at least 1")
    with connected(settings, integration_id) as (setup, ops):
        plan = plan_in(settings, setup, ops, segment_schema, schema, cutover)
        return merge_planned(ops, plan, tables=tables, chunk_rows=chunk_rows, progress=progress)


def merge_planned(
    ops: MergeOps, plan: MergePlan, *, tables: list[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: Progress | None = None,
) -> MergeOutcome:  # fmt: skip
    """Merge every mergeable table of a plan (or just ``tables``) on an open connection."""
    if tables is not None:
        mergeable = {t.table for t in plan.tables if t.kind in ("events", "users")}
        unknown = set(tables) - mergeable
        if unknown:
            raise LookupError(f"not mergeable tables: {', '.join(sorted(unknown))}")
    outcome = MergeOutcome(plan)
    for table in plan.tables:
        if table.kind not in ("events", "users") or (tables is not None and table.table not in tables):
            continue
        outcome.results.append(run_table(ops, plan, table, chunk_rows=chunk_rows, progress=progress))
    return outcome

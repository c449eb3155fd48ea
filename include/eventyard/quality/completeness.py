"""Completeness: every landed batch is accounted for, in the ledger and in the warehouse tables.

Two exact checks over the batches landed in the quality window and fully loaded:

* ``ledger_balance``: per batch, events landed (the manifest's ``row_count``) = rows the ledger
  recorded in the batch's primary tables (``tracks`` — or its event tables when tracks is
  skipped —, ``identifies``, ``pages``, ``screens``, ``groups``, ``aliases``) + events rejected
  with a reason (a parked table). Discards are values, not events: a row whose value was
  discarded is still loaded, so it counts as loaded.
* ``completeness`` per table: the message ids the landed Parquet says each table must hold are
  staged in the warehouse and anti-joined with the table, so a batch deleted after loading shows
  as exactly its number of missing rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch
from eventyard.landing import open_store
from eventyard.quality.checks import Columns
from eventyard.quality.results import CheckResult
from eventyard.settings import Settings
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.integration import TableSetup
from eventyard.warehouse.models import BATCH_DONE, LOADED, PARKED, WarehouseLoad
from eventyard.warehouse.naming import table_name_for_event
from eventyard.warehouse.types import ROW_COLUMN, TableRows

PRIMARY_TABLES = {
    "track": "tracks",
    "identify": "identifies",
    "page": "pages",
    "screen": "screens",
    "group": "groups",
    "alias": "aliases",
}
_STAGE_COLUMNS = ("table_name", "id")


@dataclass
class LoadedBatch:
    """A batch landed in the window and done for the integration, with its ledger entries."""

    batch: Batch
    loaded: dict[str, int] = field(default_factory=dict)  # table -> rows the ledger recorded
    parked: dict[str, str] = field(default_factory=dict)  # table -> the error that parked it


def loaded_batches(settings: Settings, setup: TableSetup, since: datetime) -> list[LoadedBatch]:
    """The source's batches landed since ``since`` that the integration finished loading."""
    with session_scope(get_engine(settings)) as session:
        batches = list(
            session.scalars(
                select(Batch)
                .where(Batch.source_id == setup.source_id, Batch.created_at >= since)
                .order_by(Batch.seq)
            )
        )
        entries = session.execute(
            select(WarehouseLoad).where(
                WarehouseLoad.integration_id == setup.integration_id,
                WarehouseLoad.batch_id.in_([b.id for b in batches]),
            )
        ).scalars()
        by_batch: dict[str, list[WarehouseLoad]] = defaultdict(list)
        for entry in entries:
            by_batch[entry.batch_id].append(entry)
        session.expunge_all()
    out = []
    for batch in batches:
        ledger = by_batch.get(batch.id, [])
        if not any(e.table_name == BATCH_DONE and e.status == LOADED for e in ledger):
            continue  # not loaded yet: the load's business, not a quality failure
        item = LoadedBatch(batch)
        for entry in ledger:
            if entry.table_name == BATCH_DONE:
                continue
            if entry.status == LOADED:
                item.loaded[entry.table_name] = entry.rows_loaded or 0
            elif entry.status == PARKED:
                item.parked[entry.table_name] = entry.error or "parked"
        out.append(item)
    return out


def ledger_balance(batches: Iterable[LoadedBatch]) -> CheckResult:
    """Landed events not accounted for as loaded rows or rejected ones, over the window's batches."""
    unaccounted = landed = rejected_batches = 0
    worst: list[str] = []
    for item in batches:
        landed += item.batch.row_count
        if item.parked.keys() & set(PRIMARY_TABLES.values()) or (item.parked and "tracks" not in item.loaded):
            rejected_batches += 1  # rejected with the reason in the ledger; its count is the rest
            continue
        primary = sum(n for t, n in item.loaded.items() if t in PRIMARY_TABLES.values())
        if "tracks" not in item.loaded:  # tracks skipped by config: its events are in their own tables
            primary += sum(
                n for t, n in item.loaded.items() if t not in PRIMARY_TABLES.values() and t != "users"
            )
        gap = item.batch.row_count - primary
        if gap:
            unaccounted += abs(gap)
            worst.append(f"{item.batch.id}: {gap:+d}")
    detail = f"events landed {landed} in the window's batches"
    if rejected_batches:
        detail += f"; {rejected_batches} batches with parked tables (rejected, reason in the ledger)"
    if worst:
        detail += "; unaccounted " + ", ".join(worst[:3])
    return CheckResult("ledger_balance", "*", unaccounted, 0, unaccounted == 0, detail)


def expected_ids(settings: Settings, dialect: Dialect, batches: Iterable[LoadedBatch]) -> pa.Table:
    """(table_name, id) for every row the loaded batches put in a table the ledger says is loaded."""
    store = open_store(
        settings.resolved_landing_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    )
    parts: list[pa.Table] = []
    for item in batches:
        # Only the columns that say which table a row goes to (not the message JSON).
        landed = pq.read_table(
            BytesIO(store.get(item.batch.uri)), columns=["message_id", "type", "event", "user_id"]
        )
        types = landed.column("type")
        for kind, table in PRIMARY_TABLES.items():
            if table in item.loaded:
                _add(parts, table, pc.filter(landed.column("message_id"), pc.equal(types, kind)))
        is_track = pc.equal(types, "track")
        events = pc.fill_null(landed.column("event"), "")
        for event in pc.unique(pc.filter(events, is_track)).to_pylist():
            table = table_name_for_event(event, dialect)
            if table in item.loaded:
                mask = pc.and_(is_track, pc.equal(events, event))
                _add(parts, table, pc.filter(landed.column("message_id"), mask))
        if "users" in item.loaded:
            identified = pc.and_(pc.equal(types, "identify"), pc.is_valid(landed.column("user_id")))
            _add(parts, "users", pc.filter(landed.column("user_id"), identified))
    if not parts:
        return pa.table({"table_name": pa.array([], pa.string()), "id": pa.array([], pa.string())})
    return pa.concat_tables(parts)


def _add(parts: list[pa.Table], table: str, ids: pa.ChunkedArray | pa.Array) -> None:
    if len(ids):
        parts.append(
            pa.table({"table_name": pa.array([table] * len(ids), pa.string()), "id": ids.cast(pa.string())})
        )


def missing_rows(dialect: Dialect, schema: str, columns: Columns, expected: pa.Table) -> list[CheckResult]:
    """Per table, how many expected ids it lacks: staged once, one anti-join per table."""
    if expected.num_rows == 0:
        return []
    expected = expected.group_by(["table_name", "id"], use_threads=False).aggregate([])
    counts = expected.group_by("table_name", use_threads=False).aggregate([("id", "count")])
    per_table = dict(
        zip(counts.column("table_name").to_pylist(), counts.column("id_count").to_pylist(), strict=True)
    )
    results = []
    rows = TableRows(
        "quality_expected",
        "event",
        {c: "text" for c in _STAGE_COLUMNS},
        expected.append_column(ROW_COLUMN, pa.array(range(expected.num_rows), pa.int64())),
        key=("id",),
    )
    q = dialect.quote
    with dialect.staged(schema, rows) as stage:
        for table, count in sorted(per_table.items()):
            if table not in columns:
                missing = count  # the whole table is gone
            else:
                *prepare, sql = dialect.sql.statements(
                    "quality_missing",
                    stage=q(str(stage)),
                    target=dialect.qualified(schema, table),
                    table_name=q("table_name"),
                    id=q("id"),
                )
                dialect.run(prepare)
                missing = int(dialect.query(sql, (table,))[0]["missing"] or 0)
            results.append(
                CheckResult(
                    "completeness",
                    table,
                    missing,
                    0,
                    missing == 0,
                    f"rows missing of {count} the loaded batches put there",
                )
            )
    return results


def window_start(now: datetime, window: timedelta) -> datetime:
    """The earliest landing time a round checks."""
    return now - window

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import func, select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch
from eventyard.landing import open_store
from eventyard.settings import Settings
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.integration import TableSetup
from eventyard.warehouse.models import BATCH_DONE, LOADED, PARKED, WarehouseLoad
from eventyard.warehouse.naming import table_name_for_event
from eventyard.warehouse.quality.checks import RESULTS_TABLE, Columns
from eventyard.warehouse.quality.results import CheckResult
from eventyard.warehouse.types import DISCARDS_TABLE, ROW_COLUMN, TableRows

PRIMARY_TABLES = {
    "track": "tracks",
    "identify": "identifies",
    "page": "pages",
    "screen": "screens",
    "group": "groups",
    "alias": "aliases",
}


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


def ledger_totals(settings: Settings, integration_id: str) -> dict[str, int]:
    """Per table, the rows the ledger recorded loading into it, over every batch ever loaded."""
    with session_scope(get_engine(settings)) as session:
        rows = session.execute(
            select(WarehouseLoad.table_name, func.sum(WarehouseLoad.rows_loaded))
            .where(
                WarehouseLoad.integration_id == integration_id,
                WarehouseLoad.status == LOADED,
                WarehouseLoad.table_name != BATCH_DONE,
            )
            .group_by(WarehouseLoad.table_name)
        ).all()
    return {str(table): int(total or 0) for table, total in rows}


def completeness_checks(
    settings: Settings,
    dialect: Dialect,
    schema: str,
    columns: Columns,
    batches: list[LoadedBatch],
    row_counts: Mapping[str, int],
    totals: Mapping[str, int],
) -> list[CheckResult]:
    """``completeness`` for every table the window's batches loaded.

    An event table holding exactly the rows the ledger recorded for it over all time (its count
    comes from the round's scan; ids are unique there, which ``id_unique`` checks) has lost none:
    it passes without reading an id. Any other table — fewer rows (something was deleted), more
    (a hand-run insert, a Segment merge, a redelivered message counted in two batches), or
    ``users``, whose ledger counts upserts — gets the exact check: the window's ids staged and
    anti-joined (``missing_rows``)."""
    loaded = sorted({t for item in batches for t in item.loaded if t not in (DISCARDS_TABLE, RESULTS_TABLE)})
    exact = [t for t in loaded if t == "users" or t not in row_counts or row_counts[t] != totals.get(t)]
    results = [
        CheckResult(
            "completeness", table, 0, 0, True,
            f"none missing: the table holds the {row_counts[table]} rows the ledger recorded loading",
        )
        for table in loaded
        if table not in exact
    ]  # fmt: skip
    if exact:
        results += missing_rows(
            dialect, schema, columns, expected_ids(settings, dialect, batches, set(exact))
        )
    return sorted(results, key=lambda r: r.table)


def expected_ids(
    settings: Settings, dialect: Dialect, batches: Iterable[LoadedBatch], only: set[str] | None = None
) -> dict[str, pa.Array]:
    """Per table, the distinct ids the loaded batches put there (tables the ledger says are loaded;
    of those, ``only`` these when given)."""
    store = open_store(
        settings.resolved_landing_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    )
    parts: dict[str, list[pa.Array]] = defaultdict(list)
    for item in batches:
        # Only the columns that say which table a row goes to (not the message JSON).
        columns = ["message_id", "type", "event", "user_id"]
        landed = pq.read_table(BytesIO(store.get(item.batch.uri)), columns=columns)
        types, ids = landed.column("type"), landed.column("message_id")
        wanted = item.loaded.keys() if only is None else item.loaded.keys() & only
        if not wanted:
            continue
        for kind, table in PRIMARY_TABLES.items():
            if table in wanted:
                parts[table].append(pc.filter(ids, pc.equal(types, kind)))
        is_track = pc.equal(types, "track")
        events = pc.fill_null(landed.column("event"), "")
        for event in pc.unique(pc.filter(events, is_track)).to_pylist():
            table = table_name_for_event(event, dialect)
            if table in wanted:
                parts[table].append(pc.filter(ids, pc.and_(is_track, pc.equal(events, event))))
        if "users" in wanted:
            identified = pc.and_(pc.equal(types, "identify"), pc.is_valid(landed.column("user_id")))
            parts["users"].append(pc.filter(landed.column("user_id"), identified))
    out = {}
    for table, arrays in parts.items():
        chunks = [c for a in arrays for c in a.chunks]
        if chunks:  # a re-delivered message is in two batches but one row
            out[table] = pc.unique(pa.chunked_array(chunks, pa.string()))
    return out


def missing_rows(
    dialect: Dialect, schema: str, columns: Columns, expected: dict[str, pa.Array]
) -> list[CheckResult]:
    """Per table, how many expected ids it lacks: the ids staged, one anti-join."""
    results = []
    q = dialect.quote
    for table, ids in sorted(expected.items()):
        if table not in columns:
            missing = len(ids)  # the whole table is gone
        else:
            data = pa.table({"id": ids, ROW_COLUMN: pa.array(range(len(ids)), pa.int64())})
            with dialect.staged(
                schema, TableRows("quality_expected", "event", {"id": "text"}, data)
            ) as stage:
                # BigQuery stages in the dataset; the others in a temp table.
                staged = (
                    dialect.qualified(schema, str(stage))
                    if dialect.sql.folder == "bigquery"
                    else q(str(stage))
                )
                *prepare, sql = dialect.sql.statements(
                    "quality_missing",
                    stage=staged,
                    target=dialect.qualified(schema, table),
                    id=q("id"),
                )
                dialect.run(prepare)
                missing = int(dialect.query(sql)[0]["missing"] or 0)
        results.append(
            CheckResult(
                "completeness",
                table,
                missing,
                0,
                missing == 0,
                f"rows missing of {len(ids)} the loaded batches put there",
            )
        )
    return results


def window_start(now: datetime, window: timedelta) -> datetime:
    """The earliest landing time a round checks."""
    return now - window

"""Reading and writing the load ledger (see ``eventyard.warehouse.models``)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine, select

from eventyard.db.engine import session_scope
from eventyard.warehouse.loader import TableResult
from eventyard.warehouse.models import BATCH_DONE, FAILED, LOADED, WarehouseLoad
from eventyard.warehouse.types import TableRows


def loaded_tables(engine: Engine, integration_id: str, batch_ids: list[str]) -> dict[str, set[str]]:
    """For each batch, the tables already loaded into this integration."""
    out: dict[str, set[str]] = defaultdict(set)
    with session_scope(engine) as session:
        rows = session.execute(
            select(WarehouseLoad.batch_id, WarehouseLoad.table_name).where(
                WarehouseLoad.integration_id == integration_id,
                WarehouseLoad.batch_id.in_(batch_ids),
                WarehouseLoad.status == LOADED,
            )
        ).all()
    for batch_id, table_name in rows:
        out[batch_id].add(table_name)
    return out


def record_results(
    engine: Engine,
    integration_id: str,
    per_batch: dict[str, dict[str, TableRows]],
    results: dict[str, TableResult],
) -> int:
    """Record each batch's tables as loaded/failed; mark batches with no failure done. Returns how many."""
    completed = 0
    with session_scope(engine) as session:
        for batch_id, tables in per_batch.items():
            failed = False
            for name, rows in tables.items():
                result = results.get(name)
                if result is None:  # skipped by config or loaded before
                    continue
                entry = session.get(WarehouseLoad, (integration_id, batch_id, name))
                if entry is None:
                    entry = WarehouseLoad(
                        integration_id=integration_id, batch_id=batch_id, table_name=name, attempts=0
                    )
                    session.add(entry)
                entry.attempts = (entry.attempts or 0) + 1
                entry.status = FAILED if result.error else LOADED
                entry.error = result.error
                entry.rows_loaded = 0 if result.error else rows.num_rows
                entry.rows_discarded = 0 if result.error else len(rows.discards)
                failed = failed or bool(result.error)
            if not failed:
                marker = session.get(WarehouseLoad, (integration_id, batch_id, BATCH_DONE))
                if marker is None:
                    session.add(
                        WarehouseLoad(
                            integration_id=integration_id,
                            batch_id=batch_id,
                            table_name=BATCH_DONE,
                            status=LOADED,
                            rows_loaded=sum(t.num_rows for t in tables.values()),
                            rows_discarded=sum(len(t.discards) for t in tables.values()),
                            attempts=1,
                        )
                    )
                completed += 1
    return completed

"""Reading and writing the load ledger (see ``eventyard.warehouse.models``).

Each load records, per batch and table, an ``Outcome``. A table that failed terminally
``TERMINAL_ATTEMPTS`` times is parked: not retried, and no longer keeping its batch open, so one
broken table cannot hold back the batches behind it. ``reopen_parked`` puts parked tables back
in the queue once the cause is fixed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, select

from eventyard.db.engine import session_scope
from eventyard.warehouse.errors import TERMINAL_ATTEMPTS
from eventyard.warehouse.models import BATCH_DONE, FAILED, LOADED, PARKED, WarehouseLoad


@dataclass(frozen=True)
class Outcome:
    """What loading one table of one batch did."""

    rows_loaded: int = 0
    rows_discarded: int = 0
    error: str | None = None
    terminal: bool = False


@dataclass
class Recorded:
    """What ``record`` did: batches now done, and tables parked by this load."""

    completed: int = 0
    parked: list[str] = field(default_factory=list)  # "<batch id>/<table>"


def settled_tables(engine: Engine, integration_id: str, batch_ids: list[str]) -> dict[str, set[str]]:
    """For each batch, the tables not to load again: loaded, or parked."""
    out: dict[str, set[str]] = defaultdict(set)
    with session_scope(engine) as session:
        rows = session.execute(
            select(WarehouseLoad.batch_id, WarehouseLoad.table_name).where(
                WarehouseLoad.integration_id == integration_id,
                WarehouseLoad.batch_id.in_(batch_ids),
                WarehouseLoad.status.in_((LOADED, PARKED)),
            )
        ).all()
    for batch_id, table_name in rows:
        out[batch_id].add(table_name)
    return out


def record(engine: Engine, integration_id: str, outcomes: Mapping[str, Mapping[str, Outcome]]) -> Recorded:
    """Record each batch's table outcomes; mark a batch done once no table of it is left to retry."""
    recorded = Recorded()
    with session_scope(engine) as session:
        for batch_id, tables in outcomes.items():
            open_tables = False
            for name, outcome in tables.items():
                entry = session.get(WarehouseLoad, (integration_id, batch_id, name))
                if entry is None:
                    entry = WarehouseLoad(
                        integration_id=integration_id, batch_id=batch_id, table_name=name, attempts=0
                    )
                    session.add(entry)
                entry.attempts = (entry.attempts or 0) + 1
                entry.error = outcome.error
                entry.rows_loaded = 0 if outcome.error else outcome.rows_loaded
                entry.rows_discarded = 0 if outcome.error else outcome.rows_discarded
                if outcome.error is None:
                    entry.status = LOADED
                elif outcome.terminal and entry.attempts >= TERMINAL_ATTEMPTS:
                    entry.status = PARKED
                    recorded.parked.append(f"{batch_id}/{name}")
                else:
                    entry.status = FAILED
                    open_tables = True
            if not open_tables:
                if session.get(WarehouseLoad, (integration_id, batch_id, BATCH_DONE)) is None:
                    session.add(
                        WarehouseLoad(
                            integration_id=integration_id,
                            batch_id=batch_id,
                            table_name=BATCH_DONE,
                            status=LOADED,
                            rows_loaded=sum(o.rows_loaded for o in tables.values() if o.error is None),
                            rows_discarded=sum(o.rows_discarded for o in tables.values() if o.error is None),
                            attempts=1,
                        )
                    )
                recorded.completed += 1
    return recorded


def reopen_parked(engine: Engine, integration_id: str) -> int:
    """Queue an integration's parked tables again (their batches reopen); returns how many."""
    with session_scope(engine) as session:
        parked = list(
            session.scalars(
                select(WarehouseLoad).where(
                    WarehouseLoad.integration_id == integration_id, WarehouseLoad.status == PARKED
                )
            )
        )
        for entry in parked:
            entry.status = FAILED
            entry.attempts = 0
        batch_ids = {entry.batch_id for entry in parked}
        if batch_ids:
            session.execute(
                delete(WarehouseLoad).where(
                    WarehouseLoad.integration_id == integration_id,
                    WarehouseLoad.batch_id.in_(batch_ids),
                    WarehouseLoad.table_name == BATCH_DONE,
                )
            )
    return len(parked)

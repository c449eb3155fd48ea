"""Warehouse load cycles: which integrations to load, one chunk, a bounded run of chunks.

This is what the ``load_warehouses`` DAG (``eventyard.warehouse.tasks``), ``eventyard load
--once`` and the demo all run. The ledger (``eventyard.warehouse.models``) makes it idempotent
and incremental: a batch is picked up until every one of its tables is loaded (or parked), and
only the tables not yet loaded are retried. Each integration is set up once
(``eventyard.warehouse.integration``) and the setup is passed down; table warehouses load
through ``chunk``, storage destinations through ``storage.load``.
"""

from __future__ import annotations

import itertools
import logging

from eventyard.db.queries import enabled_integration_ids
from eventyard.settings import Settings
from eventyard.warehouse.chunk import load_table_chunk
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.integration import (
    WAREHOUSE_CODES,
    StorageSetup,
    TableSetup,
    WarehouseSetup,
    setup_warehouse,
)
from eventyard.warehouse.report import LoadReport
from eventyard.warehouse.storage.load import load_storage_chunk

log = logging.getLogger(__name__)

WAREHOUSE_KINDS = frozenset({"warehouse", "storage"})


def _is_warehouse_code(code: str) -> bool:
    try:
        from eventyard.catalog import load_catalog

        return load_catalog().get(code).kind in WAREHOUSE_KINDS and code in WAREHOUSE_CODES
    except Exception:  # catalog missing or code unknown to it: fall back to the registries
        return code in WAREHOUSE_CODES


def enabled_warehouse_integrations(settings: Settings) -> list[str]:
    """Ids of enabled integrations whose destination is a warehouse or storage (sorted, stable)."""
    return enabled_integration_ids(settings, _is_warehouse_code)


def load_chunk(settings: Settings, setup: WarehouseSetup, *, max_batches: int | None = None) -> LoadReport:
    """Load up to ``max_batches`` (default ``settings.load_chunk_batches``) pending batches."""
    limit = max_batches or settings.load_chunk_batches
    if isinstance(setup, StorageSetup):
        return load_storage_chunk(settings, setup, limit)
    assert isinstance(setup, TableSetup)
    return load_table_chunk(settings, setup, limit)


def load_integration(
    settings: Settings, integration_id: str, *, max_batches: int | None = None
) -> LoadReport:
    """Set the integration up and load one chunk of its pending batches."""
    return load_chunk(settings, setup_warehouse(settings, integration_id), max_batches=max_batches)


def load_integration_chunks(
    settings: Settings, integration_id: str, *, max_chunks: int | None = 20, max_batches: int | None = None
) -> LoadReport:
    """Load an integration's new batches chunk after chunk, set up once.

    Stops when nothing is pending, a chunk makes no progress, a table fails, or after
    ``max_chunks`` (the next run goes on; None: no limit), so the Airflow task never runs
    unbounded. Returns the sum of the chunks' reports.
    """
    setup = setup_warehouse(settings, integration_id)
    total = LoadReport(integration_id, setup.code, setup.source_id)
    chunks = itertools.count() if max_chunks is None else range(max_chunks)
    for _ in chunks:
        report = load_chunk(settings, setup, max_batches=max_batches)
        total.absorb(report)
        if report.errors or report.remaining == 0 or report.batches_completed == 0:
            break
    return total


def load_once(settings: Settings) -> list[LoadReport]:
    """One chunk of every enabled warehouse integration; one failing integration never stops the rest."""
    return [load_safely(settings, id_) for id_ in enabled_warehouse_integrations(settings)]


def load_safely(settings: Settings, integration_id: str, *, drain: bool = False) -> LoadReport:
    """One chunk (``drain``: chunks until nothing is pending) of one integration, with any error
    that stopped it before its tables (setup, connection) in the report instead of raised."""
    try:
        if drain:
            return load_integration_chunks(settings, integration_id, max_chunks=None)
        return load_integration(settings, integration_id)
    except Exception as exc:
        log.exception("warehouse load of %s failed", integration_id)
        return LoadReport.failed(integration_id, exc, terminal=isinstance(exc, TerminalWarehouseError))

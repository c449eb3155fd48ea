"""One load cycle: for each enabled warehouse integration, load its new batches in a bounded chunk.

This is what the ``load_warehouses`` DAG and ``eventyard load --once`` both run. The ledger
(``eventyard.warehouse.models``) makes it idempotent and incremental: a batch is picked up until
every one of its tables is recorded as loaded, and only the tables not yet loaded are retried.

Report of ``load_integration`` (a plain dict, fit for XCom / task metadata)::

    {"integration_id": str, "integration_code": str, "schema": str,
     "batches": int,              # batches processed in this chunk
     "batches_completed": int,    # of those, fully loaded now
     "remaining": int,            # pending batches left after this chunk
     "tables": {name: {"rows_loaded": int, "rows_discarded": int}},
     "errors": {name: "ErrorType: message"}}   # tables that failed (retried next cycle)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch, Connection, Integration, Source
from eventyard.settings import Settings
from eventyard.warehouse.batches import pending_batches, read_batch
from eventyard.warehouse.dialects import DIALECTS, Dialect, dialect_class, get_dialect
from eventyard.warehouse.evolve import concat_rows
from eventyard.warehouse.fastmap import map_landed
from eventyard.warehouse.ledger import loaded_tables, record_results
from eventyard.warehouse.loader import load_tables
from eventyard.warehouse.naming import fit_identifier, snake_case
from eventyard.warehouse.types import TableRows

log = logging.getLogger(__name__)

WAREHOUSE_KINDS = frozenset({"warehouse", "storage"})
# Rows mapped and merged at a time within a chunk (see _slices).
SLICE_ROWS = 100_000


def _is_warehouse_code(code: str) -> bool:
    try:
        from eventyard.catalog import load_catalog

        return load_catalog().get(code).kind in WAREHOUSE_KINDS and code in DIALECTS
    except Exception:  # catalog missing or code unknown to it: fall back to the dialect registry
        return code in DIALECTS


def enabled_warehouse_integrations(settings: Settings) -> list[str]:
    """Ids of enabled integrations whose destination is a warehouse or storage (sorted, stable)."""
    with session_scope(get_engine(settings)) as session:
        rows = session.execute(
            select(Integration.id, Integration.integration_code)
            .where(Integration.enabled.is_(True))
            .order_by(Integration.created_at, Integration.id)
        ).all()
    return [row.id for row in rows if _is_warehouse_code(row.integration_code)]


def _integration_context(
    settings: Settings, integration_id: str
) -> tuple[Integration, Source, dict[str, Any]]:
    from eventyard.houston.crypto import decrypt_details

    with session_scope(get_engine(settings)) as session:
        integration = session.get(Integration, integration_id)
        if integration is None:
            raise LookupError(f"no integration {integration_id!r}")
        source = session.get(Source, integration.app_id)
        connection = session.get(Connection, integration.connection_id)
        if source is None or connection is None:
            raise LookupError(f"integration {integration_id!r} has no source or connection")
        session.expunge_all()
    return integration, source, decrypt_details(settings, connection.details_encrypted)


def schema_for(integration: Integration, source: Source, dialect: Dialect) -> str:
    """The integration's schema: its ``namespace`` config, else the source name, snake-cased."""
    wanted = str((integration.config or {}).get("namespace") or source.name)
    return fit_identifier(snake_case(wanted), wanted, dialect)


def load_integration(
    settings: Settings, integration_id: str, *, max_batches: int | None = None
) -> dict[str, Any]:
    """Load up to ``max_batches`` (default ``settings.load_chunk_batches``) new batches; see module doc.

    S3 event-log integrations write files of whole messages rather than tables; they are routed
    to their own writer here, so every caller (CLI, DAG, demo) handles every warehouse kind.
    """
    integration, source, details = _integration_context(settings, integration_id)
    if not dialect_class(integration.integration_code).supports_tables:
        from eventyard.warehouse.dialects.s3_event_logs import load_event_logs

        return load_event_logs(settings, integration_id, max_batches=max_batches)
    dialect = get_dialect(integration.integration_code, details, settings)
    schema = schema_for(integration, source, dialect)
    config = integration.config or {}
    engine = get_engine(settings)
    limit = max_batches or settings.load_chunk_batches
    batches, remaining = pending_batches(engine, integration_id, source.id, limit)
    report: dict[str, Any] = {
        "integration_id": integration_id,
        "integration_code": integration.integration_code,
        "schema": schema,
        "batches": len(batches),
        # Events, not rows: one track event is a row in `tracks` and one in its event's table.
        "events": sum(b.row_count for b in batches),
        "batches_completed": 0,
        "remaining": remaining,
        "tables": {},
        "errors": {},
    }
    if not batches:
        return report
    done = loaded_tables(engine, integration_id, [b.id for b in batches])
    # Batches that already loaded the same tables are loaded together.
    groups: dict[frozenset[str], list[Batch]] = defaultdict(list)
    for batch in batches:
        groups[frozenset(done.get(batch.id, ()))].append(batch)
    work = [(skip, part) for skip, group in groups.items() for part in _slices(group)]
    with dialect, ThreadPoolExecutor(1, thread_name_prefix="warehouse-map") as pool:
        # Map the next slice while this one loads: Arrow parses on one core while the warehouse
        # ingests on the other.
        mapping = pool.submit(_map_slice, settings, dialect, work[0][1])
        for index, (skip, _) in enumerate(work):
            per_batch, read_errors = mapping.result()
            if index + 1 < len(work):
                mapping = pool.submit(_map_slice, settings, dialect, work[index + 1][1])
            report["errors"].update(read_errors)
            _load_slice(settings, dialect, schema, config, per_batch, skip, report)
    log.info("warehouse load %s: %s", integration_id, report)
    return report


def _slices(batches: list[Batch], rows: int = SLICE_ROWS) -> list[list[Batch]]:
    """Consecutive runs of batches holding about ``rows`` rows: small batches load together (one
    merge per table), big ones load one by one so mapping and loading can overlap."""
    out: list[list[Batch]] = [[]]
    count = 0
    for batch in batches:
        if out[-1] and count + batch.row_count > rows:
            out.append([])
            count = 0
        out[-1].append(batch)
        count += batch.row_count
    return out


def _map_slice(
    settings: Settings, dialect: Dialect, batches: list[Batch]
) -> tuple[dict[str, dict[str, TableRows]], dict[str, str]]:
    per_batch: dict[str, dict[str, TableRows]] = {}
    errors: dict[str, str] = {}
    for batch in batches:
        try:
            per_batch[batch.id] = map_landed(read_batch(settings, batch), dialect)
        except Exception as exc:  # unreadable batch: reported, left pending, others go on
            log.exception("cannot read batch %s", batch.id)
            errors[f"batch {batch.id}"] = f"{type(exc).__name__}: {exc}"
    return per_batch, errors


def _load_slice(
    settings: Settings,
    dialect: Dialect,
    schema: str,
    config: dict[str, Any],
    per_batch: dict[str, dict[str, TableRows]],
    skip: frozenset[str],
    report: dict[str, Any],
) -> None:
    dropped = set(skip)
    if config.get("skipUsersTable"):
        dropped.add("users")
    if config.get("skipTracksTable"):
        dropped.add("tracks")
    parts: dict[str, list[TableRows]] = defaultdict(list)
    for tables in per_batch.values():
        for name, rows in tables.items():
            if name not in dropped:
                parts[name].append(rows)
    combined = {name: concat_rows(rows) for name, rows in parts.items()}
    results = load_tables(dialect, schema, combined, datetime.now(UTC))
    for name, result in results.items():
        if result.error:
            report["errors"][name] = result.error
        else:
            totals = report["tables"].setdefault(name, {"rows_loaded": 0, "rows_discarded": 0})
            totals["rows_loaded"] += result.rows_loaded
            totals["rows_discarded"] += result.rows_discarded
    report["batches_completed"] += record_results(
        get_engine(settings), report["integration_id"], per_batch, results
    )


def load_once(settings: Settings) -> list[dict[str, Any]]:
    """One cycle over every enabled warehouse integration; one failing integration never stops the rest."""
    reports = []
    for integration_id in enabled_warehouse_integrations(settings):
        try:
            reports.append(load_integration(settings, integration_id))
        except Exception as exc:
            log.exception("warehouse load of %s failed", integration_id)
            reports.append(
                {"integration_id": integration_id, "errors": {"*": f"{type(exc).__name__}: {exc}"}}
            )
    return reports

"""One chunk of a table warehouse's load: pending batches -> mapped slices -> tables -> ledger.

Batches that already loaded the same tables are loaded together, in slices of about
``SLICE_ROWS`` rows: small batches share one merge per table, big ones go one by one so that
mapping the next slice (Arrow, one core) overlaps loading this one (the warehouse, the other).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eventyard.db.models import Batch
from eventyard.settings import Settings
from eventyard.warehouse.batches import read_batch, start_chunk
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.errors import error_text
from eventyard.warehouse.evolve import concat_rows
from eventyard.warehouse.fastmap import map_landed
from eventyard.warehouse.integration import TableSetup
from eventyard.warehouse.ledger import settled_tables
from eventyard.warehouse.publish import load_and_record
from eventyard.warehouse.quality import wap
from eventyard.warehouse.report import LoadReport
from eventyard.warehouse.types import TableRows

log = logging.getLogger(__name__)

# Rows mapped and merged at a time within a chunk (see _slices).
SLICE_ROWS = 100_000


@dataclass
class _MappedSlice:
    """A slice's batches as table rows, the batches that could not be read, and fallbacks."""

    per_batch: dict[str, dict[str, TableRows]] = field(default_factory=dict)
    unreadable: dict[str, tuple[str, bool]] = field(default_factory=dict)  # batch -> (error, terminal)
    fallbacks: int = 0


def load_table_chunk(settings: Settings, setup: TableSetup, limit: int) -> LoadReport:
    """Load up to ``limit`` pending batches of a table warehouse integration."""
    engine, batches, report = start_chunk(settings, setup, setup.schema, limit)
    if not batches:
        return report
    done = settled_tables(engine, setup.integration_id, [b.id for b in batches])
    if wap.enabled(setup):
        _load_audited(settings, setup, batches, done, report)
        return report
    groups: dict[frozenset[str], list[Batch]] = defaultdict(list)
    for batch in batches:
        groups[frozenset(done.get(batch.id, ()))].append(batch)
    work = [(skip, part) for skip, group in groups.items() for part in _slices(group)]
    dialect = setup.dialect
    with dialect, ThreadPoolExecutor(1, thread_name_prefix="warehouse-map") as pool:
        mapping = pool.submit(_map_slice, settings, dialect, work[0][1])
        for index, (skip, _) in enumerate(work):
            mapped = mapping.result()
            if index + 1 < len(work):
                mapping = pool.submit(_map_slice, settings, dialect, work[index + 1][1])
            report.fallbacks += mapped.fallbacks
            for batch_id, (error, terminal) in mapped.unreadable.items():
                report.add_error(f"batch {batch_id}", error, terminal=terminal)
            _load_slice(settings, setup, mapped.per_batch, skip, report)
    log.info("warehouse load %s: %s", setup.integration_id, report)
    return report


def _load_audited(
    settings: Settings, setup: TableSetup, batches: list[Batch], done: dict[str, set[str]], report: LoadReport
) -> None:
    """Write-audit-publish, batch by batch: each is audited on its own (eventyard.warehouse.quality.wap)."""
    dialect = setup.dialect
    dropped = _skipped_by_config(setup.config)
    with dialect:
        dialect.ensure_schema(setup.schema)
        for batch in batches:
            mapped = _map_slice(settings, dialect, [batch])
            for batch_id, (error, terminal) in mapped.unreadable.items():
                report.add_error(f"batch {batch_id}", error, terminal=terminal)
            skip = dropped | done.get(batch.id, set())
            for tables in mapped.per_batch.values():
                wanted = {name: rows for name, rows in tables.items() if name not in skip}
                wap.load_batch(settings, setup, batch, wanted, report)


def _slices(batches: list[Batch], rows: int = SLICE_ROWS) -> list[list[Batch]]:
    """Consecutive runs of batches holding about ``rows`` rows."""
    out: list[list[Batch]] = [[]]
    count = 0
    for batch in batches:
        if out[-1] and count + batch.row_count > rows:
            out.append([])
            count = 0
        out[-1].append(batch)
        count += batch.row_count
    return out


def _map_slice(settings: Settings, dialect: Dialect, batches: list[Batch]) -> _MappedSlice:
    mapped = _MappedSlice()
    for batch in batches:
        try:
            landed = map_landed(read_batch(settings, batch), dialect)
        except Exception as exc:  # unreadable batch: reported, left pending, others go on
            log.exception("cannot read batch %s", batch.id)
            # Not parked: there is no table to park, and the landing store may come back.
            mapped.unreadable[batch.id] = (error_text(exc), False)
            continue
        mapped.per_batch[batch.id] = landed.tables
        mapped.fallbacks += len(landed.fallbacks)
    return mapped


def _skipped_by_config(config: Mapping[str, Any]) -> set[str]:
    return {t for t, key in (("users", "skipUsersTable"), ("tracks", "skipTracksTable")) if config.get(key)}


def _load_slice(
    settings: Settings,
    setup: TableSetup,
    per_batch: dict[str, dict[str, TableRows]],
    skip: frozenset[str],
    report: LoadReport,
) -> None:
    dropped = set(skip) | _skipped_by_config(setup.config)
    parts: dict[str, list[TableRows]] = defaultdict(list)
    for tables in per_batch.values():
        for name, rows in tables.items():
            if name not in dropped:
                parts[name].append(rows)
    combined = {name: concat_rows(rows) for name, rows in parts.items()}
    report.parked += load_and_record(settings, setup, combined, per_batch, report).parked

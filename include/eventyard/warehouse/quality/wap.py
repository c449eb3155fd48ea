"""Write-audit-publish for integrations that opt in (``qualityWriteAuditPublish``).

Each batch is **written** to staging tables of its own schema (``<schema>__wap_<hash of the
batch id>``) by the ordinary loader, **audited** there with the round's key and time checks
(``quality_scan``: ids present and unique, ``received_at`` present and not ahead, timestamps
within the skew window) while Great Expectations validates the landed Parquet batch itself with
a suite generated from Segment's spec (``gx_suites.validate_landed``), and **published** —
loaded into the real tables from the same rows, the staging schema dropped — only when every
check passed. A batch that fails is **quarantined**: its staging schema is kept, the ledger marks
the batch ``quarantined`` (so later loads go on without it, and nothing of it is published),
``eventyard quality --quarantined`` lists it with the reason, and ``eventyard quality
--republish BATCH`` audits its staging tables again — our checks and each table's generated GX
suite, after someone fixed them, or the thresholds — and publishes what they hold, deduplicated
on ``id`` like any load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import delete, select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch
from eventyard.errors import BadInputError
from eventyard.landing import open_store
from eventyard.settings import Settings
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.integration import TableSetup, table_setup
from eventyard.warehouse.loader import load_tables
from eventyard.warehouse.models import BATCH_DONE, QUARANTINED, WarehouseLoad
from eventyard.warehouse.naming import fit_identifier, short_hash
from eventyard.warehouse.publish import load_and_record
from eventyard.warehouse.quality import checks, gx_suites
from eventyard.warehouse.quality.results import CheckResult
from eventyard.warehouse.quality.thresholds import Thresholds
from eventyard.warehouse.report import LoadReport
from eventyard.warehouse.types import ARROW_TYPES, DISCARD_KEY, DISCARDS_TABLE, TableKind, TableRows

log = logging.getLogger(__name__)
AUDITS = frozenset({"id_not_null", "id_unique", "received_at_null", "received_at_future", "timestamp_skew"})
_KINDS: dict[str, TableKind] = {
    "tracks": "tracks", "identifies": "identifies", "users": "users", "pages": "pages",
    "screens": "screens", "groups": "groups", "aliases": "aliases", DISCARDS_TABLE: "discards",
}  # fmt: skip
_LOAD_COLUMNS = ("uuid_ts", "loaded_at")  # added again by the loader when published


class NotQuarantined(BadInputError, LookupError):
    """The batch is not in the integration's quarantine."""


@dataclass(frozen=True)
class Quarantined:
    """A batch held back by its audit."""

    batch_id: str
    staging_schema: str
    reason: str


def staging_schema(setup: TableSetup, batch_id: str) -> str:
    """The batch's own staging schema."""
    name = f"{setup.schema}__wap_{short_hash(batch_id)}"
    return fit_identifier(name, name, setup.dialect)


def enabled(setup: TableSetup) -> bool:
    """Whether the integration opted in."""
    return bool(setup.config.get("qualityWriteAuditPublish"))


def audit(dialect: Dialect, schema: str, limits: Thresholds) -> list[CheckResult]:
    """The staged tables' key and time checks that failed."""
    columns = checks.schema_columns(dialect, schema)
    scanned = checks.scan_checks(dialect, schema, columns, limits, datetime.now(UTC))
    return [r for r in scanned.results if r.check in AUDITS and not r.passed]


def load_batch(
    settings: Settings, setup: TableSetup, batch: Batch, tables: dict[str, TableRows], report: LoadReport
) -> None:
    """Write, audit and publish (or quarantine) one mapped batch."""
    dialect, staging = setup.dialect, staging_schema(setup, batch.id)
    limits = Thresholds.for_integration(setup.code, setup.config)
    now = datetime.now(UTC)
    staged = load_tables(dialect, staging, tables, now)
    failed = {name: r.error for name, r in staged.items() if r.error}
    if failed:  # the write itself failed: like a failed load, retried next time
        for name, error in failed.items():
            report.add_error(name, str(error), terminal=False)
        return
    problems = audit(dialect, staging, limits)
    landed = gx_suites.validate_landed(
        settings, setup.integration_id, batch.id, _landed(settings, batch), limits
    )
    if not landed.passed:
        problems.append(landed)
    if problems:
        reason = "; ".join(f"{r.check} on {r.table}: {r.observed:g} {r.detail}" for r in problems)
        log.warning("batch %s quarantined in %s: %s", batch.id, staging, reason)
        with session_scope(get_engine(settings)) as session:
            session.merge(
                WarehouseLoad(integration_id=setup.integration_id, batch_id=batch.id, table_name=BATCH_DONE,
                              status=QUARANTINED, rows_loaded=0, rows_discarded=0, attempts=1, error=reason)
            )  # fmt: skip
        return
    _publish(settings, setup, batch.id, tables, report)
    dialect.run([dialect.sql.statement("drop_schema", schema=dialect.quote(staging))])


def _publish(
    settings: Settings, setup: TableSetup, batch_id: str, tables: dict[str, TableRows], report: LoadReport
) -> None:
    # A published batch's ledger entries are its event tables (its discards were never recorded).
    load_and_record(settings, setup, tables, {batch_id: tables}, report, not_recorded={DISCARDS_TABLE})


def quarantined(settings: Settings, integration_id: str) -> list[Quarantined]:
    """The integration's quarantined batches, oldest first."""
    setup = table_setup(settings, integration_id)
    with session_scope(get_engine(settings)) as session:
        rows = session.execute(
            select(WarehouseLoad.batch_id, WarehouseLoad.error)
            .join(Batch, Batch.id == WarehouseLoad.batch_id)
            .where(WarehouseLoad.integration_id == integration_id, WarehouseLoad.status == QUARANTINED)
            .order_by(Batch.seq)
        ).all()
    return [Quarantined(b, staging_schema(setup, b), e or "") for b, e in rows]


def republish(settings: Settings, integration_id: str, batch_id: str) -> LoadReport:
    """Audit a quarantined batch's staging tables again and, if they pass, publish them.

    Raises ``NotQuarantined``; returns the report (with the audit's failures as errors when the
    batch stays in quarantine)."""
    setup = table_setup(settings, integration_id)
    if batch_id not in {q.batch_id for q in quarantined(settings, integration_id)}:
        raise NotQuarantined(f"batch {batch_id!r} is not quarantined for integration {integration_id!r}")
    staging = staging_schema(setup, batch_id)
    report = LoadReport(integration_id, setup.code, setup.source_id, setup.schema, 1)
    with setup.dialect as dialect:
        problems = audit(dialect, staging, Thresholds.for_integration(setup.code, setup.config))
        # The landed file cannot change: the fix is in the staging tables, which GX checks now.
        columns = checks.schema_columns(dialect, staging)
        problems += [
            r
            for r in gx_suites.run_suites(settings, integration_id, dialect, staging, columns)
            if not r.passed
        ]
        tables = _read_back(dialect, staging)
        if problems:
            for r in problems:
                report.add_error(f"{r.check} {r.table}", f"{r.observed:g} {r.detail}", terminal=True)
            return report
        with session_scope(get_engine(settings)) as session:
            session.execute(
                delete(WarehouseLoad).where(
                    WarehouseLoad.integration_id == integration_id,
                    WarehouseLoad.batch_id == batch_id,
                    WarehouseLoad.table_name == BATCH_DONE,
                )
            )
        _publish(settings, setup, batch_id, tables, report)
        if not report.errors:
            dialect.run([dialect.sql.statement("drop_schema", schema=dialect.quote(staging))])
    return report


def _landed(settings: Settings, batch: Batch) -> pa.Table:
    """The batch's landed Parquet file."""
    store = open_store(
        settings.resolved_landing_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    )
    return pq.read_table(BytesIO(store.get(batch.uri)))


def _read_back(dialect: Dialect, schema: str) -> dict[str, TableRows]:
    """The staging tables as rows to load (without the load's own columns, which it adds again)."""
    tables: dict[str, TableRows] = {}
    for name in checks.schema_columns(dialect, schema):
        columns = {
            c: t for c, t in (dialect.existing_columns(schema, name) or {}).items() if c not in _LOAD_COLUMNS
        }
        rows: list[dict[str, Any]] = dialect.query(
            dialect.sql.statement("select_all", target=dialect.qualified(schema, name))
        )
        arrow = pa.schema([(c, ARROW_TYPES[t]) for c, t in columns.items()])
        data = pa.Table.from_pylist([{c: r[c] for c in columns} for r in rows], schema=arrow)
        kind = _KINDS.get(name, "event")
        key = DISCARD_KEY if kind == "discards" else ("id",)
        tables[name] = TableRows(name, kind, columns, data, key)
    # Discards are loaded with their table's rows by the loader; read back, they are a table.
    return tables

"""One quality round over one warehouse integration: run every check, record the results.

What ``eventyard quality --once``, the ``quality_checks`` DAG and the demo call. The results go
to the ``quality_results`` table of the source's schema (one row per check and table, keyed by
round), so they can be charted beside the data they describe.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pyarrow as pa

from eventyard.db.engine import get_engine
from eventyard.settings import Settings
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.integration import TableSetup, table_setup
from eventyard.warehouse.loader import load_table
from eventyard.warehouse.quality import checks, completeness, gx_suites
from eventyard.warehouse.quality.latest import remember
from eventyard.warehouse.quality.results import CheckResult, QualityReport
from eventyard.warehouse.quality.thresholds import Thresholds
from eventyard.warehouse.types import ARROW_TYPES, Logical, TableRows

log = logging.getLogger(__name__)

RESULT_COLUMNS: dict[str, Logical] = {
    "run_id": "text",
    "run_at": "timestamp",
    "integration_id": "text",
    "check_name": "text",
    "table_name": "text",
    "observed": "double",
    "threshold": "double",
    "passed": "boolean",
    "detail": "text",
    "snapshot": "text",
}
RESULT_KEY = ("run_id", "check_name", "table_name")


# The warehouses with quality templates (warehouse_sql/<dialect>/quality_*.sql).
QUALITY_CODES = frozenset({"duckdb", "postgres", "amazon_redshift", "google_bigquery"})


class QualityUnavailable(TerminalWarehouseError):
    """The integration's warehouse has no quality checks (yet)."""


def run_round(settings: Settings, integration_id: str, now: datetime | None = None) -> QualityReport:
    """Run every check on the integration's schema and record the results; raises on errors
    that stop the round (no such integration, no checks for its warehouse, warehouse unreachable)."""
    setup = table_setup(settings, integration_id)
    if setup.code not in QUALITY_CODES:
        raise QualityUnavailable(
            f"quality checks run on {', '.join(sorted(QUALITY_CODES))}, not on {setup.code} (yet)"
        )
    now = now or datetime.now(UTC)
    limits = Thresholds.for_integration(setup.code, setup.config)
    run_id = now.strftime("%Y%m%dT%H%M%S.%fZ")
    report = QualityReport(integration_id, setup.code, setup.schema, run_id, now, config=setup.config)
    batches = completeness.loaded_batches(settings, setup, now - limits.window)
    with setup.dialect as dialect:
        report.results = check_schema(settings, setup, dialect, limits, now, batches)
        if report.results and limits.great_expectations:
            columns = checks.schema_columns(dialect, setup.schema)
            report.results += gx_suites.run_suites(settings, integration_id, dialect, setup.schema, columns)
        if report.results:
            record(dialect, setup, report)
    remember(get_engine(settings), setup.org_id, report)
    for line in report.lines():
        log.info("%s %s", integration_id, line)
    return report


def check_schema(
    settings: Settings,
    setup: TableSetup,
    dialect: Dialect,
    limits: Thresholds,
    now: datetime,
    batches: list[completeness.LoadedBatch],
) -> list[CheckResult]:
    """Every check on a connected dialect (nothing yet loaded: no results)."""
    columns = checks.schema_columns(dialect, setup.schema)
    if not any(t != checks.RESULTS_TABLE for t in columns):
        return []
    scanned = checks.scan_checks(dialect, setup.schema, columns, limits, now)
    results = scanned.results
    results += checks.discard_checks(dialect, setup.schema, columns, limits, now, scanned.window_rows)
    results += checks.column_type_checks(columns, checks.last_column_types(dialect, setup.schema, columns))
    results.append(completeness.ledger_balance(batches))
    totals = completeness.ledger_totals(settings, setup.integration_id)
    results += completeness.completeness_checks(
        settings, dialect, setup.schema, columns, batches, scanned.row_counts, totals
    )
    return results


def record(dialect: Dialect, setup: TableSetup, report: QualityReport) -> None:
    """Append the round's results to ``quality_results`` (idempotent per round and check)."""
    rows = [
        {
            "run_id": report.run_id,
            "run_at": report.run_at,
            "integration_id": setup.integration_id,
            "check_name": r.check,
            "table_name": r.table,
            "observed": float(r.observed),
            "threshold": float(r.threshold),
            "passed": r.passed,
            "detail": r.detail,
            "snapshot": r.snapshot,
        }
        for r in report.results
    ]
    schema = pa.schema([(name, ARROW_TYPES[logical]) for name, logical in RESULT_COLUMNS.items()])
    data = pa.Table.from_pylist(rows, schema=schema)
    table = TableRows(checks.RESULTS_TABLE, "event", dict(RESULT_COLUMNS), data, RESULT_KEY)
    dialect.ensure_schema(setup.schema)
    load_table(dialect, setup.schema, table, report.run_at)

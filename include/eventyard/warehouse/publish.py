"""Load mapped tables into the warehouse schema and record each batch's outcome in the ledger.

The one step the plain chunked load (``warehouse.chunk``) and write-audit-publish's publish
(``warehouse.quality.wap``) share, so the report and the ledger are kept the same way by both.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from eventyard.db.engine import get_engine
from eventyard.settings import Settings
from eventyard.warehouse.integration import TableSetup
from eventyard.warehouse.ledger import Outcome, Recorded, record
from eventyard.warehouse.loader import load_tables
from eventyard.warehouse.report import LoadReport
from eventyard.warehouse.types import TableRows


def load_and_record(
    settings: Settings,
    setup: TableSetup,
    tables: dict[str, TableRows],
    per_batch: dict[str, dict[str, TableRows]],
    report: LoadReport,
    not_recorded: Collection[str] = (),
) -> Recorded:
    """Load ``tables`` (the batches' rows combined) and record every batch's tables.

    A table in ``per_batch`` but not loaded (skipped by config, or loaded before) is not recorded;
    neither is one named in ``not_recorded``. Adds the batches completed to ``report``.
    """
    results = load_tables(setup.dialect, setup.schema, tables, datetime.now(UTC))
    for name, result in results.items():
        if result.error:
            report.add_error(name, result.error, terminal=result.terminal)
        else:
            report.add_table(name, result.rows_loaded, result.rows_discarded)
    outcomes = {
        batch_id: {
            name: Outcome(rows.num_rows, len(rows.discards), results[name].error, results[name].terminal)
            for name, rows in batch_tables.items()
            if name in results and name not in not_recorded
        }
        for batch_id, batch_tables in per_batch.items()
    }
    recorded = record(get_engine(settings), setup.integration_id, outcomes)
    report.batches_completed += recorded.completed
    return recorded

"""One chunk of a storage destination's load: pending batches -> files -> ledger.

A batch is recorded in the ledger (table ``writer.ledger_table``) once its files are written;
a failed batch stays pending and is written again next time, to the same keys, so nothing is
duplicated. A batch that keeps failing terminally is parked like a table (see ``ledger``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from eventyard.settings import Settings
from eventyard.warehouse.batches import messages_of_batch, start_chunk
from eventyard.warehouse.errors import error_text
from eventyard.warehouse.ledger import Outcome, record
from eventyard.warehouse.report import LoadReport

if TYPE_CHECKING:
    from eventyard.warehouse.integration import StorageSetup

log = logging.getLogger(__name__)


def load_storage_chunk(settings: Settings, setup: StorageSetup, limit: int) -> LoadReport:
    """Write up to ``limit`` pending batches of a storage integration."""
    engine, batches, report = start_chunk(settings, setup, setup.location, limit)
    if not batches:
        return report
    writer = setup.writer
    table = writer.ledger_table
    lines = 0
    with writer:
        for batch in batches:
            try:
                written = writer.write_batch(
                    setup.source_id, batch.id, messages_of_batch(settings, batch), setup.config
                )
            except Exception as exc:  # reported; the batch stays pending (or is parked), others go on
                log.exception("cannot write batch %s of %s", batch.id, setup.integration_id)
                terminal = writer.is_terminal(exc)
                outcome = Outcome(error=error_text(exc), terminal=terminal)
                report.add_error(f"batch {batch.id}", error_text(exc), terminal=terminal)
            else:
                outcome = Outcome(rows_loaded=written)
                lines += written
            recorded = record(engine, setup.integration_id, {batch.id: {table: outcome}})
            report.batches_completed += recorded.completed
            report.parked += recorded.parked
    report.add_table(table, lines, 0)
    return report

"""Finding the batches an integration has not loaded yet, and reading their messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
from sqlalchemy import Engine, and_, func, select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch
from eventyard.landing import open_store, read_parquet
from eventyard.settings import Settings
from eventyard.warehouse.models import BATCH_DONE, LOADED, QUARANTINED, WarehouseLoad
from eventyard.warehouse.report import LoadReport

if TYPE_CHECKING:
    from eventyard.warehouse.integration import WarehouseSetup


def pending_batches(
    engine: Engine, integration_id: str, source_id: str, limit: int
) -> tuple[list[Batch], int]:
    """The oldest ``limit`` batches of the source not yet fully loaded, and how many remain after them."""
    done = select(WarehouseLoad.batch_id).where(
        and_(
            WarehouseLoad.integration_id == integration_id,
            WarehouseLoad.table_name == BATCH_DONE,
            # A quarantined batch waits for `eventyard quality --republish`, not for the next load.
            WarehouseLoad.status.in_((LOADED, QUARANTINED)),
        )
    )
    condition = and_(Batch.source_id == source_id, Batch.id.not_in(done))
    with session_scope(engine) as session:
        batches = list(session.scalars(select(Batch).where(condition).order_by(Batch.seq).limit(limit)))
        total = session.scalar(select(func.count()).select_from(Batch).where(condition)) or 0
        session.expunge_all()
    return batches, max(0, total - len(batches))


def start_chunk(
    settings: Settings, setup: WarehouseSetup, target: str, limit: int
) -> tuple[Engine, list[Batch], LoadReport]:
    """The control DB, the integration's next ``limit`` pending batches, and the report of the
    chunk about to load them into ``target`` (a schema, or a storage location)."""
    engine = get_engine(settings)
    batches, remaining = pending_batches(engine, setup.integration_id, setup.source_id, limit)
    report = LoadReport(setup.integration_id, setup.code, setup.source_id, target, len(batches))
    report.remaining = remaining
    # Events, not rows: one track event is a row in `tracks` and one in its event's table.
    report.events = sum(b.row_count for b in batches)
    return engine, batches, report


# The landing columns are authoritative for the envelope (the message JSON carries the same values).
_OVERLAY = (
    ("message_id", "messageId"),
    ("type", "type"),
    ("received_at", "receivedAt"),
    ("sent_at", "sentAt"),
    ("original_timestamp", "originalTimestamp"),
    ("timestamp", "timestamp"),
)


def read_batch(settings: Settings, batch: Batch) -> pa.Table:
    """A landed batch as an Arrow table of the envelope schema."""
    store = open_store(
        settings.resolved_landing_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    )
    return read_parquet(store.get(batch.uri))


def messages_of_batch(settings: Settings, batch: Batch) -> list[dict[str, Any]]:
    """The normalized messages of a landed batch, envelope fields taken from the landing columns."""
    return messages_of_table(read_batch(settings, batch))


def messages_of_table(table: pa.Table) -> list[dict[str, Any]]:
    """The normalized messages of a landed Arrow table (envelope schema)."""
    columns = [table.column(name).to_pylist() for name, _ in _OVERLAY]
    messages = []
    loads = orjson.loads
    for index, text in enumerate(table.column("message").to_pylist()):
        message = loads(text)
        if not isinstance(message, dict):
            continue
        for (_, key), values in zip(_OVERLAY, columns, strict=True):
            value = values[index]
            if value is not None:
                message[key] = value
        messages.append(message)
    return messages

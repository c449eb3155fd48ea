"""Control-DB tables of warehouse loading: the load ledger.

One row per (integration, batch, table) records that the batch's rows for that table are in the
warehouse (or why they are not). A row with ``table_name = "*"`` marks the whole batch done for
the integration, which is what makes the next load pick up exactly the new batches; a failed
table keeps the batch open and is retried alone, without reloading the tables that succeeded.
A table that failed terminally too often is ``parked``: it no longer keeps its batch open, and
``eventyard load --once --retry-parked`` queues it again (see ``eventyard.warehouse.errors``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventyard.db.models import Base, UtcDateTime, utcnow

BATCH_DONE = "*"
LOADED = "loaded"
FAILED = "failed"
PARKED = "parked"
# A batch whose write-audit-publish audit failed: held back, not published (eventyard.warehouse.quality.wap).
QUARANTINED = "quarantined"


class WarehouseLoad(Base):
    """The ledger: which batch went into which warehouse integration, table by table."""

    __tablename__ = "warehouse_loads"

    integration_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(1024), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_discarded: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

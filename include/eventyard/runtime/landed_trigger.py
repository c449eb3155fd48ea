"""An Airflow event trigger that fires when new batches land: the load and delivery DAGs' clock.

Runs in Airflow's triggerer as the watcher of the ``eventyard-landed-batches`` asset (see
``eventyard.runtime.schedules``). Every ``poll_seconds`` it reads a fingerprint of the landing
manifest in the control DB — the highest batch sequence number and how many batches sit just
below it — and yields a ``TriggerEvent`` when the fingerprint changed; Airflow turns each event
into an asset event, which queues a run of every DAG scheduled on the asset.

Why the manifest: every collector records every landed batch there, whatever the object store
(local directory, S3, GCS) and however many collectors run, and it is in the control DB that
every deployment has — no Redis or broker needed. Counting the rows just below the highest
sequence number catches a batch whose transaction committed after a later one's (concurrent
flushers), which the highest number alone would miss.

The last fingerprint fired is kept in Airflow's asset state store, so a triggerer restart
neither misses what landed meanwhile nor fires twice for the same batches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

log = logging.getLogger(__name__)

FINGERPRINT_KEY = "landed_fingerprint"
RECENT_WINDOW = 256  # batches below the top whose late commits still change the fingerprint


def manifest_fingerprint(database_url: str | None = None) -> str:
    """``"<max seq>:<batches in the last RECENT_WINDOW seqs>"`` of the landing manifest (blocking).

    One round trip; both parts are read off the primary key's index.
    """
    from sqlalchemy import func, select

    from eventyard.db.engine import engine_for, get_engine
    from eventyard.db.models import Batch

    engine = engine_for(database_url) if database_url else get_engine()
    top = select(func.coalesce(func.max(Batch.seq), 0)).scalar_subquery()
    recent = select(func.count()).select_from(Batch).where(Batch.seq > top - RECENT_WINDOW).scalar_subquery()
    with engine.connect() as conn:
        row = conn.execute(select(top, recent)).one()
    return f"{row[0]}:{row[1]}"


class LandedBatchesTrigger(BaseEventTrigger):
    """Fires once per change of the landing manifest (new batches), polling every ``poll_seconds``."""

    def __init__(self, poll_seconds: float = 2.0, database_url: str | None = None) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds
        # None: the control DB of the triggerer's own EVENTYARD_* settings (the usual case).
        self.database_url = database_url

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and kwargs, as stored in Airflow's trigger table."""
        kwargs = {"poll_seconds": self.poll_seconds, "database_url": self.database_url}
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    async def _last_fired(self) -> str | None:
        if self.asset_state_store is None:
            return None
        value = await self.asset_state_store.aget(FINGERPRINT_KEY)
        return str(value) if value is not None else None

    async def _remember(self, fingerprint: str) -> None:
        if self.asset_state_store is not None:
            await self.asset_state_store.aset(FINGERPRINT_KEY, fingerprint)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll the manifest forever; yield an event whenever new batches were recorded."""
        last = await self._last_fired()
        while True:
            current: str | None
            try:
                current = await asyncio.to_thread(manifest_fingerprint, self.database_url)
            except Exception as exc:  # the control DB may be briefly down: keep watching
                log.warning("reading the landing manifest failed (%s); retrying", exc)
                current = last
            if current is not None and current != last:
                top = int(current.split(":", 1)[0])
                if top > 0:  # an empty manifest is not news
                    yield TriggerEvent({"fingerprint": current, "max_batch_seq": top})
                await self._remember(current)
                last = current
            await asyncio.sleep(self.poll_seconds)

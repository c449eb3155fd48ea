"""The background flush loop of a live spool: seal by age and size, land, answer flush requests.

Also lands orphaned slots (their process died) every few seconds. The loop runs on the
worker's event loop and only decides; the Parquet work runs in the worker's landing child
process (``lander.py``), so it never competes with request handling for the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Protocol

from eventyard.collector.flusher import REQUEST_SUFFIX, answer_requests
from eventyard.collector.lander import LanderProcess
from eventyard.settings import Settings

log = logging.getLogger(__name__)


class LiveSlot(Protocol):
    """What the loop needs of the spool that owns it (``spool.Spool``; no import back)."""

    settings: Settings
    slot: int
    slot_dir: Path

    async def seal(self) -> None:
        """Seal the active segment."""
        ...

    def active_age(self) -> float:
        """Seconds since the active segment was opened."""
        ...

    def sealed_segments(self) -> list[str]:
        """Sealed segment names, oldest first."""
        ...

    def healthy(self) -> bool:
        """Whether the last write worked."""
        ...

    async def probe(self) -> None:
        """Try a small durable write."""
        ...

    async def after_seal(self) -> None:
        """Work the hot path should not do (a spare segment for the next rotation)."""
        ...


async def run_flusher(spool: LiveSlot, lander: LanderProcess, wake: asyncio.Event) -> None:
    """The background loop of a live spool: seal by age and size, flush, serve flush requests."""
    settings = spool.settings
    interval = settings.flush_interval_seconds
    tick = min(0.25, interval / 2)
    # With no segment open there is nothing to seal by age: wake once a second for flush
    # requests and health, so an idle collector costs next to nothing (appends wake us anyway).
    idle_tick = max(tick, 1.0)
    orphan_every = max(interval, 5.0)
    next_orphan_scan = time.monotonic() + min(orphan_every, 1.0)
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), tick if spool.active_age() > 0 else idle_tick)
        wake.clear()
        try:
            requests = sorted(spool.slot_dir.glob(f"*{REQUEST_SUFFIX}"))
            if requests or spool.active_age() >= interval:
                await spool.seal()
            await spool.after_seal()
            sealed = spool.sealed_segments()
            if sealed or requests:
                counts = await lander.flush(sealed, force=bool(requests))
                if requests:
                    answer_requests(requests, counts)
            if not spool.healthy():
                await spool.probe()
            if time.monotonic() >= next_orphan_scan:
                next_orphan_scan = time.monotonic() + orphan_every
                await lander.flush_orphans()
        except asyncio.CancelledError:
            raise
        except Exception:  # the flusher must outlive any single failure; the segments stay
            log.exception("spool slot %d: flusher iteration failed", spool.slot)

"""The background flush loop of a live spool: seal by age and size, land, answer flush requests.

Also lands orphaned slots (their process died) every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from eventyard.collector.flusher import REQUEST_SUFFIX, SlotFlusher, answer_requests, flush_orphans
from eventyard.collector.landing_writer import run_in_background

if TYPE_CHECKING:
    from eventyard.collector.spool import Spool

log = logging.getLogger(__name__)

# How much lower than request handling the flush thread runs (added niceness).
FLUSH_NICENESS = 10


def _lower_priority() -> None:
    """Make the calling thread yield the CPU to request handling (Linux niceness is per thread).

    DuckDB runs single-threaded here; Arrow's pool threads started from here inherit the niceness.
    """
    run_in_background()
    with contextlib.suppress(OSError, AttributeError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + FLUSH_NICENESS))


async def run_flusher(spool: Spool, wake: asyncio.Event) -> None:
    """The background loop of a live spool: seal by age and size, flush, serve flush requests.

    Conversions run on one dedicated low-priority thread, so a big flush slows landing a bit
    rather than the 200s the event loop is busy sending.
    """
    settings = spool.settings
    interval = settings.flush_interval_seconds
    tick = min(0.25, interval / 2)
    orphan_every = max(interval, 5.0)
    next_orphan_scan = time.monotonic() + min(orphan_every, 1.0)
    orphan_flushers: dict[Path, SlotFlusher] = {}
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(1, thread_name_prefix=f"spool-flush-{spool.slot}", initializer=_lower_priority)
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), tick)
            wake.clear()
            try:
                requests = sorted(spool.slot_dir.glob(f"*{REQUEST_SUFFIX}"))
                if requests or spool.active_age() >= interval:
                    await spool.seal()
                sealed = spool.sealed_segments()
                if sealed or requests:
                    flush = functools.partial(spool.flusher.flush, sealed, force=bool(requests))
                    counts = await loop.run_in_executor(pool, flush)
                    if requests:
                        answer_requests(requests, counts)
                if not spool.healthy():
                    await spool.probe()
                if time.monotonic() >= next_orphan_scan:
                    next_orphan_scan = time.monotonic() + orphan_every
                    lander = spool.flusher.lander
                    orphans = functools.partial(flush_orphans, settings, orphan_flushers, lander)
                    await loop.run_in_executor(pool, orphans)
            except asyncio.CancelledError:
                raise
            except Exception:  # the flusher must outlive any single failure; the segments stay
                log.exception("spool slot %d: flusher iteration failed", spool.slot)
    finally:
        pool.shutdown(wait=True)  # a flush in progress finishes before the spool closes

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

from eventyard.collector import segment
from eventyard.collector.flusher import REQUEST_SUFFIX, answer_requests
from eventyard.collector.lander import LanderProcess, LanderUnavailable
from eventyard.settings import Settings

log = logging.getLogger(__name__)

# Landing is behind (and runs at normal priority, not in the background) when the oldest sealed
# segment waiting was opened this many flush intervals, and at least BEHIND_MIN_S seconds, ago:
# normally one segment waits, between its seal and its flush. A bound in time, not in segments:
# at full load segments seal by size every second or so, and a count of 3 called a 3 s burst a
# backlog (landing at nice +10 then took its share in the middle of it: /v1/batch p99 51-61 ms
# against 36-39 ms over a 10 s full-load run, decision 0037).
BEHIND_INTERVALS = 3.0
BEHIND_MIN_S = 10.0
# Flushes smaller than this land at nice +10 at once: they cost a few tens of milliseconds of CPU,
# too little to show in the request tail, and a quiet collector should land promptly even when
# other processes keep the machine busy (an idle-class child would wait for a free core). Busy
# collectors seal segments of several MiB, and those land in the background.
BACKGROUND_MIN_BYTES = 4 * 1024 * 1024


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
    try:
        await lander.start()
    except Exception as exc:  # the loop must run whatever happens here: the first flush tries again
        log.warning("spool slot %d: cannot start the landing process: %s", spool.slot, exc)
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
                urgent = (
                    bool(requests)
                    or lander.starved
                    or landing_behind(sealed, interval)
                    or _bytes(spool.slot_dir, sealed) < BACKGROUND_MIN_BYTES
                )
                counts = await lander.flush(sealed, force=bool(requests), background=not urgent)
                if requests:
                    answer_requests(requests, counts)
            if not spool.healthy():
                await spool.probe()
            if time.monotonic() >= next_orphan_scan:
                next_orphan_scan = time.monotonic() + orphan_every
                await lander.flush_orphans()
        except asyncio.CancelledError:
            raise
        except LanderUnavailable as exc:  # a fresh landing child takes over on the next tick
            log.warning("spool slot %d: %s", spool.slot, exc)
        except Exception:  # the flusher must outlive any single failure; the segments stay
            log.exception("spool slot %d: flusher iteration failed", spool.slot)


def landing_behind(sealed: list[str], interval: float, now_ns: int | None = None) -> bool:
    """Whether sealed segments pile up: landing then takes its fair share of the CPU again.

    Background flushes only get the CPU the workers leave. Under sustained full load that may
    be none, and the spool would grow without bound; this is the bound.
    """
    oldest = segment.segment_ns(sealed[0]) if sealed else None
    now = time.time_ns() if now_ns is None else now_ns
    limit = max(BEHIND_INTERVALS * interval, BEHIND_MIN_S)
    return oldest is not None and now - oldest > limit * 1e9


def _bytes(slot_dir: Path, names: list[str]) -> int:
    """Total size of the named segments (those gone already count as empty)."""
    total = 0
    for name in names:
        with contextlib.suppress(OSError):
            total += (slot_dir / name).stat().st_size
    return total

"""The flusher: sealed spool segments -> Parquet in the landing zone -> manifest -> delete.

Order matters for exactly-once landing: upload every object of a segment (idempotent puts
under keys derived from the segment), record each accepted batch in the manifest (insert if
absent), and only then delete the segment.  A crash anywhere in between repeats the same
steps with the same keys and ids: objects are overwritten, the manifest row is not doubled.
Failures (object store or control DB down) keep the segment and retry with capped
exponential backoff and jitter; appends never wait for the flusher.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from eventyard.collector import segment
from eventyard.collector.landing_writer import build_objects
from eventyard.collector.manifest import record_batch
from eventyard.collector.slots import repair_slot, slot_dirs, try_lock_slot
from eventyard.db.engine import engine_for
from eventyard.landing import ObjectStore, StoreError, open_store
from eventyard.settings import Settings

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 60.0
REQUEST_SUFFIX = ".flush-request"
ANSWER_SUFFIX = ".flush-answer"


@dataclass
class FlushCounts:
    """What one flush did."""

    segments: int = 0
    batches: int = 0
    rows: int = 0
    rejected_rows: int = 0
    failed_segments: int = 0
    unanswered_slots: int = 0

    def add(self, other: FlushCounts | dict[str, int]) -> None:
        """Accumulate another flush's counts."""
        items = asdict(other) if isinstance(other, FlushCounts) else other
        for name, value in items.items():
            if hasattr(self, name):
                setattr(self, name, getattr(self, name) + int(value))

    def as_dict(self) -> dict[str, int]:
        """Plain dict (for JSON output)."""
        return asdict(self)


class Lander:
    """The object store and control DB a settings object names (opened lazily, once)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: ObjectStore | None = None

    @property
    def store(self) -> ObjectStore:
        """The landing object store."""
        if self._store is None:
            s = self.settings
            self._store = open_store(
                s.resolved_landing_url, endpoint_url=s.s3_endpoint_url, region=s.s3_region
            )
        return self._store

    @property
    def engine(self) -> Engine:
        """The control DB engine (for the manifest)."""
        return engine_for(self.settings.resolved_database_url)


def flush_segment(path: Path, slot: int, lander: Lander) -> FlushCounts:
    """Land one sealed segment, record its batches, then delete it (idempotent if repeated)."""
    counts = FlushCounts()
    data = path.read_bytes()
    parsed = segment.parse(data)
    if parsed.torn_bytes and not parsed.zero_tail:
        # Only possible when the tail could not be truncated after a failed write: those
        # bytes were never acknowledged. Keep them for inspection all the same.
        segment.keep_tail(path, data, parsed.good_end, path.parent / "corrupt")
    created = datetime.fromtimestamp((segment.segment_ns(path.name) or 0) / 1e9, tz=UTC)
    objects = build_objects(parsed.records, batch_prefix=f"{path.stem[4:]}-s{slot}", created=created)
    for obj in objects:
        uri = lander.store.put(obj.key, obj.data)
        if obj.manifest:
            record_batch(
                lander.engine,
                batch_id=obj.batch_id,
                source_id=obj.source_id,
                uri=uri,
                row_count=obj.row_count,
                byte_size=len(obj.data),
                min_received_at=obj.min_received_at,
                max_received_at=obj.max_received_at,
            )
            counts.batches += 1
            counts.rows += obj.row_count
        else:
            counts.rejected_rows += obj.row_count
    path.unlink(missing_ok=True)
    segment.fsync_dir(path.parent)
    counts.segments += 1
    return counts


def backoff_delay(failures: int) -> float:
    """Capped exponential backoff with jitter (so many collectors do not retry in lockstep)."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(failures - 1, 0)) * random.uniform(0.5, 1.0)


class SlotFlusher:
    """Flushes one slot's sealed segments, one flush at a time, backing off after failures."""

    def __init__(self, slot_dir: Path, slot: int, settings: Settings, lander: Lander | None = None) -> None:
        self.slot_dir = slot_dir
        self.slot = slot
        self.lander = lander or Lander(settings)
        self._lock = threading.Lock()
        self._failures = 0
        self._next_attempt = 0.0
        self.counters: dict[str, float] = {
            "flushed_segments": 0,
            "flushed_batches": 0,
            "flushed_rows": 0,
            "rejected_rows": 0,
            "upload_failures": 0,
            "last_flush_unix": 0,
        }

    def flush(self, names: list[str], *, force: bool = False) -> FlushCounts:
        """Flush the named segments in order; on failure keep the segment and schedule a retry.

        An outage (store, control DB, disk) stops the round; any other error skips only the
        segment that caused it. ``force`` ignores the backoff schedule (``eventyard flush``).
        """
        counts = FlushCounts()
        with self._lock:
            if not names or (not force and time.monotonic() < self._next_attempt):
                return counts
            # The live spool renames spares into segments without a directory fsync (slots.repair_slot):
            # make those names durable before batch ids derived from them are stored anywhere.
            try:
                segment.fsync_dir(self.slot_dir)
            except OSError as exc:
                log.warning(
                    "flush of slot %d: cannot fsync %s (%s); retrying later", self.slot, self.slot_dir, exc
                )
                self._failures += 1
                self.counters["upload_failures"] += 1
                self._next_attempt = time.monotonic() + backoff_delay(self._failures)
                counts.failed_segments += len(names)
                return counts
            failed = False
            for index, name in enumerate(names):
                path = self.slot_dir / name
                if not path.exists():
                    continue
                try:
                    counts.add(flush_segment(path, self.slot, self.lander))
                except (StoreError, SQLAlchemyError, OSError) as exc:
                    # The store or the control DB is down: later segments would fail the same way.
                    failed = True
                    counts.failed_segments += len(names) - index
                    log.warning("flush of %s failed (%s); %d segment(s) kept", path, exc, len(names) - index)
                    break
                except Exception:
                    # Not an outage but this segment (or a bug): keep it, retry later, go on with the rest.
                    failed = True
                    counts.failed_segments += 1
                    log.exception("flush of %s failed; segment kept for a later retry", path)
            if failed:
                self._failures += 1
                self.counters["upload_failures"] += 1
                self._next_attempt = time.monotonic() + backoff_delay(self._failures)
            else:
                self._failures = 0
            self.counters["flushed_segments"] += counts.segments
            self.counters["flushed_batches"] += counts.batches
            self.counters["flushed_rows"] += counts.rows
            self.counters["rejected_rows"] += counts.rejected_rows
            if counts.segments:
                self.counters["last_flush_unix"] = time.time()
        return counts


def flush_locked_slot(slot_dir: Path, slot: int, flusher: SlotFlusher, *, force: bool) -> FlushCounts:
    """Flush a slot whose lock the caller holds and whose owner is gone (all segments are sealed)."""
    repair_slot(slot_dir)
    for stale in slot_dir.glob(f"*{REQUEST_SUFFIX}"):
        stale.unlink(missing_ok=True)  # its owner died; the requester flushes it itself
    return flusher.flush(segment.list_segments(slot_dir), force=force)


def flush_orphans(settings: Settings, flushers: dict[Path, SlotFlusher], lander: Lander) -> FlushCounts:
    """Flush every slot whose lock is free (its process died), keeping per-slot backoff state."""
    counts = FlushCounts()
    for slot, slot_dir in slot_dirs(settings.resolved_spool_dir):
        if not segment.list_segments(slot_dir):
            continue
        fd = try_lock_slot(slot_dir)
        if fd is None:
            continue
        try:
            flusher = flushers.setdefault(slot_dir, SlotFlusher(slot_dir, slot, settings, lander))
            counts.add(flush_locked_slot(slot_dir, slot, flusher, force=False))
        finally:
            os.close(fd)
    return counts


def _ask_owner(slot_dir: Path, slot: int, settings: Settings, lander: Lander, timeout: float) -> FlushCounts:
    """Ask the process that owns a slot to seal and flush it, and wait for its answer.

    Should the owner die meanwhile (its lock becomes free), flush the slot here instead.
    """
    request = slot_dir / f"{uuid.uuid4().hex}{REQUEST_SUFFIX}"
    answer = request.with_suffix(ANSWER_SUFFIX)
    request.write_bytes(b"")
    deadline = time.monotonic() + timeout
    polls = 0
    while time.monotonic() < deadline:
        if answer.exists():
            counts = FlushCounts()
            counts.add(orjson.loads(answer.read_bytes()))
            answer.unlink(missing_ok=True)
            return counts
        polls += 1
        if polls % 10 == 0 or not request.exists():
            fd = try_lock_slot(slot_dir)
            if fd is not None:
                try:
                    request.unlink(missing_ok=True)
                    answer.unlink(missing_ok=True)
                    flusher = SlotFlusher(slot_dir, slot, settings, lander)
                    return flush_locked_slot(slot_dir, slot, flusher, force=True)
                finally:
                    os.close(fd)
        time.sleep(0.05)
    request.unlink(missing_ok=True)
    return FlushCounts(unanswered_slots=1)


def answer_requests(requests: list[Path], counts: FlushCounts) -> None:
    """(Owner side) Tell waiting ``flush_all`` callers what the requested flush did."""
    payload = orjson.dumps(counts.as_dict())
    for request in requests:
        answer = request.with_suffix(ANSWER_SUFFIX)
        tmp = answer.with_suffix(".tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, answer)
        request.unlink(missing_ok=True)


class OwnedSlot(Protocol):
    """A spool open in the calling process (``spool.Spool``): sealed and flushed directly."""

    slot_dir: Path

    def flush_now_sync(self) -> dict[str, int]:
        """Seal and flush this slot now."""
        ...


def flush_all(
    settings: Settings, *, owned: Iterable[OwnedSlot] = (), owner_timeout: float = 60.0
) -> dict[str, int]:
    """Seal and flush every slot now: ``owned`` directly, orphans under their lock, live ones via their owner.

    ``owned`` are the spools the caller holds open in this process (their lock cannot be taken
    from here, and they have no flush loop to ask unless started); there is no process-wide
    registry of them: whoever opened a spool says so.
    """
    lander = Lander(settings)
    totals = FlushCounts()
    mine = {spool.slot_dir: spool for spool in owned}
    for slot, slot_dir in slot_dirs(settings.resolved_spool_dir):
        live = mine.get(slot_dir)
        if live is not None:
            totals.add(live.flush_now_sync())
            continue
        fd = try_lock_slot(slot_dir)
        if fd is None:
            totals.add(_ask_owner(slot_dir, slot, settings, lander, owner_timeout))
            continue
        try:
            flusher = SlotFlusher(slot_dir, slot, settings, lander)
            totals.add(flush_locked_slot(slot_dir, slot, flusher, force=True))
        finally:
            os.close(fd)
    return totals.as_dict()

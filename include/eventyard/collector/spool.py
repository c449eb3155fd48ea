"""The durable local spool: events are on disk (fsync'd) before the collector answers 200.

Each worker process claims one slot directory ``<spool>/slot-<k>`` with an exclusive
``flock`` on its lock file, so every process appends to files no other process touches, and a
restarted process re-claims a free slot (and with it the segments its predecessor left).
Appends use group commit: callers queue framed records, one writer task writes everything
queued so far with a single ``write`` + ``fdatasync`` in a dedicated I/O thread, and while
that fsync runs the next group accumulates.  Nobody is answered before their fsync returned.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eventyard.collector import segment
from eventyard.collector.aio_sync import AioSync, open_aio_sync
from eventyard.collector.flush_loop import run_flusher
from eventyard.collector.flusher import SlotFlusher
from eventyard.collector.lander import LanderProcess
from eventyard.collector.metrics import observe_fsync
from eventyard.collector.slots import MAX_SLOTS, SPARE_PREFIX, repair_slot, try_lock_slot
from eventyard.errors import RetriableError
from eventyard.settings import Settings

log = logging.getLogger(__name__)

# Spares are written (and fdatasync'd) in pieces of this size: see ``Spool.after_seal``.
SPARE_CHUNK_BYTES = 1024 * 1024
# A plain group commit (frames into space already zero-filled, no rotation, no seal) of at most
# this many bytes runs on the event loop itself instead of the I/O thread (decisions 0033, 0037):
# a couple of dozen single events. One /v1/batch request of 50 events (~27 KB of frames) is
# above it, so batch traffic keeps parsing on the loop while its fsyncs run on the I/O thread.
# There is no limit on the number of records: handing a group of single events to the I/O
# thread costs two GIL hand-offs, and while the loop is busy the I/O thread waits up to the
# 5 ms switch interval for the GIL after its fsync. With a limit of 4 records a backlog pushed
# groups past it, onto that slower path, and the backlog fed itself (p50 stuck at 3-4 ms for
# seconds); without it, full-load /v1/t rose from ~20,000 to ~22,000 req/s (decision 0037).
INLINE_GROUP_BYTES = 16 * 1024


class SpoolUnavailable(RetriableError):
    """The spool cannot write (disk full, read-only, closed) -> answer 503."""


class Spool:
    """One process's spool slot: group-committed appends plus a background flusher."""

    def __init__(self, settings: Settings, slot: int, slot_dir: Path, lock_fd: int) -> None:
        self.settings = settings
        self.slot = slot
        self.slot_dir = slot_dir
        self._lock_fd = lock_fd
        self._max_bytes = settings.flush_max_bytes
        # Writes, fsyncs and seals of the segment file descriptor never interleave: they hold
        # ``_fd_lock``. They run on the I/O thread, except small plain group commits, which run
        # on the event loop (see ``_write_groups``).
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"spool-io-{slot}")
        self._fd_lock = threading.RLock()
        self._seg_lock = threading.Lock()
        self._fd: int | None = None
        self._active_name: str | None = None
        self._active_size = 0
        self._allocated = 0  # bytes of the active segment already on disk (data + zero fill)
        self._active_from_spare = False  # renamed from a spare (its directory entry is durable)
        # Zero-fill in steps of at most 4 MiB, never much beyond the seal-by-size threshold.
        self._prealloc = max(64 * 1024, min(4 * 1024 * 1024, settings.flush_max_bytes))
        self._active_opened = 0.0
        # A zero-filled file made off the hot path, renamed into the next segment at rotation, so
        # the first group commit after a seal neither creates nor zero-fills (see after_seal).
        self._spare: tuple[str, int] | None = None
        self._last_sealed_size = 0
        self._last_ns = 0
        self._pending: list[tuple[bytes, int, asyncio.Future[None]]] = []
        # With ``spool_fsync = "aio"``, inline group commits await their fdatasync through Linux
        # AIO where it works, so the event loop is free while the disk works (decision 0040);
        # None: blocking fdatasync.
        self._aio: AioSync | None = None
        self._aio_tried = False
        self._writer: asyncio.Task[None] | None = None
        self._healthy = True
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._flusher_task: asyncio.Task[None] | None = None
        # In-process flushes (``flush_now_sync``, the last flush on close); the live flush loop
        # lands through ``lander``, a child process (see lander.py).
        self.flusher = SlotFlusher(slot_dir, slot, settings)
        self.lander: LanderProcess | None = None
        self.counters: dict[str, float] = {
            "appended_records": 0,
            "appended_bytes": 0,
            "fsyncs": 0,
            "write_errors": 0,
            "torn_bytes_cut": 0,
        }

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, slot: int | None = None) -> Spool:
        """Claim a slot (the given one, or the first free one) and replay-repair its segments.

        Raises ``SpoolUnavailable`` when the spool directory cannot be used or the requested
        slot is held by another process.
        """
        spool_dir = settings.resolved_spool_dir
        try:
            spool_dir.mkdir(parents=True, exist_ok=True)
            candidates = [slot] if slot is not None else range(MAX_SLOTS)
            for k in candidates:
                slot_dir = spool_dir / f"slot-{k}"
                fd = try_lock_slot(slot_dir)
                if fd is None:
                    continue
                spool = cls(settings, k, slot_dir, fd)
                try:
                    spool._recover()
                except OSError:
                    spool._io.shutdown(wait=False)
                    os.close(fd)  # release the slot: a retry must be able to claim it again
                    raise
                return spool
        except OSError as exc:
            raise SpoolUnavailable(f"cannot open spool in {spool_dir}: {exc}") from exc
        raise SpoolUnavailable(f"no free spool slot in {spool_dir} (tried {list(candidates)[:8]}...)")

    def _recover(self) -> None:
        """Cut torn tails; every segment left by an earlier process is sealed and will be flushed."""
        self.counters["torn_bytes_cut"] += repair_slot(self.slot_dir)
        for name in segment.list_segments(self.slot_dir):
            self._last_ns = max(self._last_ns, segment.segment_ns(name) or 0)

    # -- appending -------------------------------------------------------------------------

    async def append(self, records: Sequence[bytes]) -> None:
        """Append records; return only once they are written and fsync'd.

        Raises ``SpoolUnavailable`` on any OS error (ENOSPC, EROFS, EACCES, ...) or when closed.
        """
        if self._closed:
            raise SpoolUnavailable("spool is closed")
        if not records:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((segment.frame_many(tuple(records)), len(records), done))
        if self._writer is None:
            self._writer = loop.create_task(self._write_groups())
        await done

    async def _write_groups(self) -> None:
        """Leader loop: write + fsync everything queued, answer that group, repeat while more queued."""
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                group, self._pending = self._pending, []
                data = b"".join(item[0] for item in group)
                try:
                    if self._fits_inline(len(data)):
                        await self._write_inline(data)
                    else:
                        await loop.run_in_executor(self._io, self._write_durably, data)
                except Exception as exc:
                    self._healthy = False
                    self.counters["write_errors"] += 1
                    log.error("spool slot %d: write failed: %s", self.slot, exc)
                    for _, _, fut in group:
                        if not fut.done():
                            fut.set_exception(SpoolUnavailable(f"spool cannot write: {exc}"))
                    continue
                self._healthy = True
                self.counters["appended_records"] += sum(item[1] for item in group)
                self.counters["appended_bytes"] += len(data)
                for _, _, fut in group:
                    if not fut.done():
                        fut.set_result(None)
        finally:
            self._writer = None

    def _aio_sync(self) -> AioSync | None:
        """The AIO fsync of this spool's event loop; None when fsyncs block (decided once)."""
        if self._aio_tried and self._aio is None:  # the common case costs one check per group
            return None
        loop = asyncio.get_running_loop()
        if self._aio is not None:
            if self._aio.loop is loop:
                return self._aio
            self._aio.close()  # a spool reused by another event loop (tests do)
        self._aio_tried = True
        self._aio = open_aio_sync(loop) if self.settings.spool_fsync == "aio" else None
        return self._aio

    async def _write_inline(self, data: bytes) -> None:
        """A plain group commit on the event loop: write, then await the fdatasync via AIO.

        Without AIO the loop blocks in ``fdatasync`` (``_write_durably``). With it, the frames
        are written and the active size moves on before the fsync completes, so a seal by age
        meanwhile (on the I/O thread) keeps them; nobody is answered before the fsync reports
        success. If it fails, the bytes are cut and the segment abandoned, as after a failed
        blocking fsync; should a seal have come first, the sealed segment keeps them and they
        may land although their requests got a 503: a duplicate on retry, never a loss.
        """
        aio = self._aio_sync()
        if aio is None:
            self._write_durably(data)
            return
        with self._fd_lock:
            if not self._fits_inline(len(data)):  # sealed on the I/O thread since the check
                self._write_durably_locked(data)
                return
            fd, name, offset = self._fd, self._active_name, self._active_size
            assert fd is not None
            started = time.perf_counter()
            try:
                segment.write_at(fd, data, offset)
            except OSError:
                self._abandon_segment()
                raise
            self._active_size = offset + len(data)
        try:
            await aio.sync(fd)
        except OSError:
            with self._fd_lock:
                if self._fd == fd and self._active_name == name:
                    self._active_size = offset  # the unacknowledged bytes go
                    self._abandon_segment()
            raise
        observe_fsync(time.perf_counter() - started)
        self.counters["fsyncs"] += 1

    def _fits_inline(self, size: int) -> bool:
        """Whether a group commit of ``size`` bytes is a plain one, small enough for the event loop.

        Handing a group to the I/O thread and its completion back to the loop cost about as
        much CPU as the fsync itself (about 50 us per record at 2,000 records/s, two GIL
        hand-offs and four thread wake-ups per group; decision 0033). A plain write of a few
        KiB plus ``fdatasync`` blocks the loop for about the time the requests of the group
        would wait for it anyway; everything slower (rotation, zero fill, a seal by size, a
        large ``/v1/batch`` group) still runs on the I/O thread.
        """
        return (
            size <= INLINE_GROUP_BYTES
            and self._fd is not None
            and self._active_size > 0
            and self._active_size + size <= min(self._allocated, self._max_bytes - 1)
        )

    def _write_durably(self, data: bytes) -> None:
        """Write to the active segment and fsync; seal it when it is full."""
        with self._fd_lock:
            self._write_durably_locked(data)

    def _write_durably_locked(self, data: bytes) -> None:
        if self._fd is None:
            self._open_segment()
        assert self._fd is not None
        fd, offset = self._fd, self._active_size
        fresh = offset == 0
        payload = segment.MAGIC + data if fresh else data
        end = offset + len(payload)
        try:
            if end > self._allocated:
                # Zero-fill ahead: fsyncs of writes inside the file need no size (journal) commit.
                # Doubling steps (64 KiB up to the cap) keep a trickle of events from writing MiBs.
                step = min(self._prealloc, max(64 * 1024, self._allocated))
                grow_to = max(end, self._allocated + step)
                segment.write_at(fd, bytes(grow_to - self._allocated), self._allocated)
                self._allocated = grow_to
            started = time.perf_counter()
            segment.write_at(fd, payload, offset)
            os.fdatasync(fd)
            if fresh and not self._active_from_spare:
                # A file created just now: its directory entry must be durable too. A renamed
                # spare needs no directory fsync here (a journal commit on the hot path): its
                # entry is durable under the spare's name, and recovery turns a spare holding
                # frames back into a segment (slots.repair_slot).
                segment.fsync_dir(self.slot_dir)
        except OSError:
            self._abandon_segment()
            raise
        observe_fsync(time.perf_counter() - started)
        self.counters["fsyncs"] += 1
        self._active_size = end
        if end >= self._max_bytes:
            self._close_segment()
            self._wake_flusher()

    def _open_segment(self) -> None:
        name, ns = segment.new_segment_name(self._last_ns)
        with self._seg_lock:
            spare, self._spare = self._spare, None
            allocated = 0
            if spare is not None:
                try:
                    # Not made durable here: see _write_durably and slots.repair_slot.
                    os.rename(self.slot_dir / spare[0], self.slot_dir / name)
                    allocated = spare[1]
                except OSError as exc:
                    log.warning("spool slot %d: spare segment unusable (%s)", self.slot, exc)
            flags = os.O_RDWR if allocated else os.O_RDWR | os.O_CREAT | os.O_EXCL
            fd = os.open(self.slot_dir / name, flags, 0o644)
            self._fd, self._active_name, self._last_ns = fd, name, ns
            self._active_size, self._allocated = 0, allocated
            self._active_from_spare = bool(allocated)
            self._active_opened = time.monotonic()

    def _abandon_segment(self) -> None:
        """After a failed write: drop the unacknowledged bytes and move on to a fresh segment."""
        fd, name, size = self._fd, self._active_name, self._active_size
        if fd is not None:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass  # the reader stops at the torn frame; those records were never acknowledged
            self._allocated = size
        self._close_segment()
        if size == 0 and name is not None:
            try:
                (self.slot_dir / name).unlink()
            except OSError:
                pass

    def _close_segment(self) -> None:
        """Seal the active segment: later appends go to a new one."""
        with self._fd_lock, self._seg_lock:
            if self._fd is not None:
                self._last_sealed_size = self._active_size
                try:
                    if self._allocated > self._active_size:
                        # Drop the zero fill. Not fsync'd: if a crash loses this, readers stop
                        # at the zeros anyway.
                        os.ftruncate(self._fd, self._active_size)
                except OSError:
                    pass
                try:
                    os.close(self._fd)
                except OSError:
                    pass
            self._fd, self._active_name, self._active_size, self._allocated = None, None, 0, 0

    def _wake_flusher(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    # -- sealing, health, stats ------------------------------------------------------------

    async def after_seal(self) -> None:
        """Prepare a zero-filled spare for the next segment, on a thread that is not the I/O one.

        Sized like the last sealed segment plus a quarter (64 KiB at least, at most the
        seal-by-size threshold plus one zero-fill step), so that at a steady rate the next
        segment is sealed by age before it outgrows the spare: the hot path then never
        zero-fills (a 4 MiB zero-fill step in a group commit took 28-80 ms here, decision
        0030). No more zeros are written than before, only earlier and elsewhere,
        and in pieces of ``SPARE_CHUNK_BYTES`` each fdatasync'd, so a large spare never puts
        more than one piece of writeback ahead of a group commit's flush on the disk.
        Failing is harmless: the next segment is then created and zero-filled on the hot path.
        """
        if self._spare is not None or self._closed or not self._healthy:
            return
        size = self.spare_size()
        try:
            spare = await asyncio.to_thread(self._write_spare, size)
        except OSError as exc:
            log.warning("spool slot %d: cannot prepare a spare segment: %s", self.slot, exc)
            return
        with self._seg_lock:
            if self._closed:
                (self.slot_dir / spare).unlink(missing_ok=True)
            else:
                self._spare = (spare, size)

    def spare_size(self) -> int:
        """Bytes of the next spare: the last sealed segment plus a quarter, within bounds."""
        want = max(64 * 1024, self._last_sealed_size * 5 // 4)
        if want > SPARE_CHUNK_BYTES:  # whole pieces
            want = -(-want // SPARE_CHUNK_BYTES) * SPARE_CHUNK_BYTES
        return min(want, self._max_bytes + self._prealloc)

    def _write_spare(self, size: int) -> str:
        # Named in creation order: spares are used in that order, recovery relies on it.
        name = f"{SPARE_PREFIX}{time.time_ns():020d}-{secrets.token_hex(4)}"
        fd = os.open(self.slot_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                chunk = bytes(min(size, SPARE_CHUNK_BYTES))
                for offset in range(0, size, len(chunk)):
                    segment.write_at(fd, chunk[: size - offset], offset)
                    # Size and blocks on disk now, piece by piece, not in a group commit's fsync.
                    os.fdatasync(fd)
            finally:
                os.close(fd)
            # Its entry durable now, off the hot path: the segment it becomes may take acknowledged
            # frames before its rename reaches the journal.
            segment.fsync_dir(self.slot_dir)
        except OSError:
            (self.slot_dir / name).unlink(missing_ok=True)
            raise
        return name

    async def seal(self) -> None:
        """Seal the active segment now (it becomes eligible for flushing)."""
        await asyncio.get_running_loop().run_in_executor(self._io, self._close_segment)

    def seal_sync(self) -> None:
        """Seal the active segment from any thread other than the spool's I/O thread."""
        self._io.submit(self._close_segment).result()

    def active_age(self) -> float:
        """Seconds since the active segment was opened (0 when none is open)."""
        return time.monotonic() - self._active_opened if self._fd is not None else 0.0

    def sealed_segments(self) -> list[str]:
        """Names of this slot's segments that no longer take appends, oldest first."""
        with self._seg_lock:
            names = segment.list_segments(self.slot_dir)
            active = self._active_name
        return [name for name in names if name != active]

    def healthy(self) -> bool:
        """False when the last write failed or the spool is closed (readiness fails)."""
        return self._healthy and not self._closed

    async def probe(self) -> None:
        """Try a small durable write in the slot directory; healthy again if it works."""

        def write_probe() -> None:
            path = self.slot_dir / ".probe"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                segment.write_at(fd, b"probe", 0)
                os.fdatasync(fd)
            finally:
                os.close(fd)
            path.unlink()

        try:
            await asyncio.get_running_loop().run_in_executor(self._io, write_probe)
        except OSError as exc:
            log.warning("spool slot %d still unwritable: %s", self.slot, exc)
            return
        self._healthy = True

    def stats(self) -> dict[str, float]:
        """Gauges and counters for metrics: spool size, segment count and age, flush results."""
        now_ns = time.time_ns()
        with self._seg_lock:
            names = segment.list_segments(self.slot_dir)
            active, active_size = self._active_name, self._active_size
        size = 0
        for name in names:
            try:
                # The active segment's file also holds zero fill: count only its data.
                size += active_size if name == active else (self.slot_dir / name).stat().st_size
            except OSError:
                pass
        oldest = segment.segment_ns(names[0]) if names else None
        return {
            "spool_bytes": float(size),
            "segments": float(len(names)),
            "oldest_segment_age_s": (now_ns - oldest) / 1e9 if oldest else 0.0,
            "healthy": 1.0 if self.healthy() else 0.0,
            **self.counters,
            **self._flush_counters(),
        }

    def _flush_counters(self) -> dict[str, float]:
        """Landing counters of the in-process flusher and the landing child, added up."""
        merged = dict(self.flusher.counters)
        child = self.lander.counters if self.lander is not None else {}
        for name, value in child.items():
            if name == "last_flush_unix":
                merged[name] = max(merged.get(name, 0.0), value)
            else:
                merged[name] = merged.get(name, 0.0) + value
        return merged

    # -- flusher lifecycle -----------------------------------------------------------------

    async def start_flusher(self) -> None:
        """Start the background flusher (seal by age/size; a child process lands, records, deletes)."""
        if self._flusher_task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.lander = LanderProcess(self.settings, self.slot_dir, self.slot)
        self._flusher_task = self._loop.create_task(run_flusher(self, self.lander, self._wake))

    def flush_now_sync(self) -> dict[str, int]:
        """Seal and flush everything of this slot now, from a thread that is not the I/O thread."""
        self.seal_sync()
        return self.flusher.flush(self.sealed_segments(), force=True).as_dict()

    async def close(self) -> None:
        """Stop accepting, finish queued writes, try a last flush, and release the slot."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            await self._writer
        if self._flusher_task is not None:
            self._flusher_task.cancel()
            try:
                await self._flusher_task
            except asyncio.CancelledError:
                pass
            if self.lander is not None:
                await self.lander.stop()  # its flush in progress finishes first
            await self.seal()
            try:
                await asyncio.to_thread(self.flusher.flush, self.sealed_segments(), force=True)
            except Exception as exc:  # the segments stay on disk and are flushed after restart
                log.warning("spool slot %d: final flush failed: %s", self.slot, exc)
        await self.seal()
        self._io.shutdown(wait=True)
        if self._aio is not None:
            self._aio.close()
            self._aio = None
        with self._seg_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            (self.slot_dir / spare[0]).unlink(missing_ok=True)
        os.close(self._lock_fd)

"""Group commits of the real spool at a constant record rate, by kind (decision 0030).

``python -m eventyard.collector.bench.groupcommit --rate 3500 --seconds 30`` appends records
of ``--record-bytes`` at a constant rate to a real ``Spool`` in a throw-away directory (on the
file system of ``--dir``), seals by age and prepares spares on the flush loop's cadence, and
prints one JSON line: the duration of every group commit (write + fdatasync, plus any zero
fill and directory fsync it had to do) as p50/p99/max per kind:

- ``plain``: frames into space already zero-filled;
- ``rotation_spare`` / ``rotation_created``: the first group commit of a segment renamed from
  a spare, or created on the hot path (the latter also fsyncs the directory);
- ``zero_fill``: a group commit that had to zero-fill ahead first (the segment outgrew its
  spare).

One worker's share of ``/v1/t`` at 7,000 req/s is about 3,500 records/s of ~600 bytes. No
landing runs here: only the spool's own disk path, without HTTP or a load generator.

It also prints the process's CPU time per record over the run (driver included).
``--all-on-io-thread`` hands every group commit to the I/O thread, as before decision 0033,
for comparing that CPU with plain group commits on the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from eventyard.collector import spool as spool_module
from eventyard.collector.spool import Spool
from eventyard.settings import Settings

SEAL_TICK_S = 0.25  # the flush loop's tick (flush_loop.run_flusher)


class _TimedSpool(Spool):
    """The real spool, timing each group commit in its I/O thread."""

    commits: list[tuple[str, float]]

    def _write_durably(self, data: bytes) -> None:
        rotation = self._fd is None or self._active_size == 0
        allocated_before = self._allocated if not rotation else None
        started = time.perf_counter()
        super()._write_durably(data)
        self._record(rotation, allocated_before, time.perf_counter() - started)

    async def _write_inline(self, data: bytes) -> None:
        # Inline commits awaiting their fsync through AIO (decision 0040) never reach
        # ``_write_durably``: timed here, from the write to the completion the requests wait for.
        if self._aio_sync() is None:
            await super()._write_inline(data)  # blocking: timed in _write_durably
            return
        rotation = self._fd is None or self._active_size == 0
        allocated_before = self._allocated if not rotation else None
        started = time.perf_counter()
        await super()._write_inline(data)
        self._record(rotation, allocated_before, time.perf_counter() - started)

    def _record(self, rotation: bool, allocated_before: int | None, elapsed: float) -> None:
        if rotation:
            kind = "rotation_spare" if self._active_from_spare else "rotation_created"
        elif allocated_before is not None and self._allocated > allocated_before:
            kind = "zero_fill"
        else:
            kind = "plain"
        self.commits.append((kind, elapsed))


async def _drive(spool: _TimedSpool, rate: float, seconds: float, record: bytes, seal_every: float) -> None:
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Future[None]] = set()
    spare_task: asyncio.Task[None] | None = None
    t0 = time.perf_counter()
    next_tick = t0 + SEAL_TICK_S
    i = 0
    while True:
        now = time.perf_counter()
        if now - t0 >= seconds:
            break
        while t0 + i / rate <= now:
            future = loop.create_task(spool.append([record]))
            pending.add(future)
            future.add_done_callback(pending.discard)
            i += 1
        if now >= next_tick:
            next_tick += SEAL_TICK_S
            if spool.active_age() >= seal_every:
                await spool.seal()
            if spare_task is None or spare_task.done():
                spare_task = loop.create_task(spool.after_seal())
        await asyncio.sleep(0.0005)
    if pending:
        await asyncio.gather(*pending)
    if spare_task is not None:
        await spare_task


def _summary(commits: list[tuple[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("plain", "rotation_spare", "rotation_created", "zero_fill"):
        values = sorted(ms * 1000 for k, ms in commits if k == kind)
        if not values:
            out[kind] = {"count": 0}
            continue
        n = len(values)
        out[kind] = {
            "count": n,
            "p50_ms": round(values[n // 2], 3),
            "p99_ms": round(values[min(n - 1, int(n * 0.99))], 3),
            "max_ms": round(values[-1], 3),
        }
    return out


def run(
    *,
    rate: float,
    seconds: float,
    record_bytes: int,
    seal_every: float,
    directory: Path | None,
    all_on_io_thread: bool = False,
) -> dict[str, Any]:
    """Drive one spool for ``seconds``; the group-commit summary by kind and the CPU per record."""
    record = orjson.dumps({"pad": "x" * max(0, record_bytes - 12)})
    inline_bytes = spool_module.INLINE_GROUP_BYTES
    if all_on_io_thread:
        spool_module.INLINE_GROUP_BYTES = 0
    with tempfile.TemporaryDirectory(prefix="eventyard-groupcommit-", dir=directory) as tmp:
        settings = Settings(home=Path(tmp), secret_key="groupcommit-bench-" + "x" * 16)
        spool = _TimedSpool.open(settings, slot=0)
        spool.commits = []

        async def drive_then_close() -> None:
            try:
                await _drive(spool, rate, seconds, record, seal_every)
            finally:
                await spool.close()

        cpu_started = time.process_time()
        try:
            asyncio.run(drive_then_close())
        finally:
            spool_module.INLINE_GROUP_BYTES = inline_bytes
        cpu = time.process_time() - cpu_started
        rotations = sum(1 for kind, _ in spool.commits if kind.startswith("rotation"))
        return {
            "rate": rate,
            "seconds": seconds,
            "record_bytes": len(record),
            "group_commits": len(spool.commits),
            "rotations": rotations,
            "by_kind": _summary(spool.commits),
            "all_on_io_thread": all_on_io_thread,
            "cpu_us_per_record": round(cpu / max(1, rate * seconds) * 1e6, 1),
            "load_average": round(os.getloadavg()[0], 2),
        }


def main(argv: list[str] | None = None) -> None:
    """CLI: print one JSON line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=3500.0, help="records per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--record-bytes", type=int, default=600)
    parser.add_argument("--seal-every", type=float, default=5.0, help="seal by age (the flush interval)")
    parser.add_argument("--dir", type=Path, default=None, help="where the throw-away spool lives")
    parser.add_argument(
        "--all-on-io-thread", action="store_true", help="every group commit on the I/O thread (before 0033)"
    )
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.seal_every <= 0:
        parser.error("--rate, --seconds and --seal-every must be positive")
    result = run(
        rate=args.rate,
        seconds=args.seconds,
        record_bytes=args.record_bytes,
        seal_every=args.seal_every,
        directory=args.dir,
        all_on_io_thread=args.all_on_io_thread,
    )
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()

"""Landing in a child process of each collector worker, so Parquet work never holds its GIL.

Measured (``docs/decisions/0016-*``): with the flush running on a thread of the worker, the
Python parts of a flush (record parsing fallbacks, Arrow/DuckDB glue, the manifest insert)
hold the worker's GIL in slices of up to the 5 ms switch interval, and the event loop's
answers wait behind them: the p99 of ``/v1/t`` rose with every flush in the window. A child
process has its own interpreter, its own niceness (+10) and DuckDB limited to one thread, so
landing takes at most one low-priority core and no time from the event loop at all.

The worker (owner of the slot's ``flock``) keeps every decision: it seals segments, picks
which to flush, answers ``eventyard flush`` requests. The child does the work it is asked to,
one request at a time over a pipe (one JSON line each way), keeps the backoff state of its
flusher and reports its counters with every answer. It never takes the slot lock: it acts for
the owner, and dies with it (``PR_SET_PDEATHSIG`` plus a parent check), so a slot re-claimed
after a crash has no second lander left behind. Even if one were, flushing is idempotent
(same object keys, insert-if-absent manifest rows, delete last).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import orjson

from eventyard.collector.flusher import FlushCounts, Lander, SlotFlusher, flush_orphans
from eventyard.errors import RetriableError
from eventyard.settings import Settings

log = logging.getLogger(__name__)

# How much lower than request handling the landing process runs (added niceness).
LANDER_NICENESS = 10
STOP_TIMEOUT_S = 120.0  # a flush in progress finishes before the worker closes its spool
_PR_SET_PDEATHSIG = 1


class LanderUnavailable(RetriableError):
    """The landing child died or answered nonsense; the flush loop restarts it next tick."""


class LanderProcess:
    """The worker's handle on its landing child: start, ask to flush, stop."""

    def __init__(self, settings: Settings, slot_dir: Path, slot: int) -> None:
        self.settings = settings
        self.slot_dir = slot_dir
        self.slot = slot
        self.counters: dict[str, float] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._retired: list[asyncio.subprocess.Process] = []  # closed pipes, flush may still run
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        """The landing child's process id while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def _ensure(self) -> asyncio.subprocess.Process:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        if self._proc is not None:
            self.restarts += 1
            log.warning(
                "spool slot %d: landing process exited (%s); restarting", self.slot, self._proc.returncode
            )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eventyard.collector.lander",
            str(os.getpid()),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            close_fds=True,  # never inherit the slot's lock fd: the lock must die with the worker
        )
        assert proc.stdin is not None
        hello = {
            "settings": self.settings.model_dump(mode="json"),
            "slot_dir": str(self.slot_dir),
            "slot": self.slot,
        }
        proc.stdin.write(orjson.dumps(hello) + b"\n")
        self._proc = proc
        return proc

    async def _call(self, request: dict[str, Any]) -> FlushCounts:
        async with self._lock:
            proc = await self._ensure()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(orjson.dumps(request) + b"\n")
                await proc.stdin.drain()
                line = await proc.stdout.readline()
            except (ConnectionError, BrokenPipeError) as exc:
                raise LanderUnavailable(f"landing process gone: {exc}") from exc
            except asyncio.CancelledError:
                # The answer is still to come, so this pipe is out of step: let the child finish
                # its flush and exit (end of input), and start a fresh one if asked again.
                self._retire(proc)
                raise
            if not line:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                raise LanderUnavailable(f"landing process exited with {proc.returncode}")
            answer = orjson.loads(line)
            self.counters = answer["counters"]
            counts = FlushCounts()
            counts.add(answer["counts"])
            return counts

    async def flush(self, names: list[str], *, force: bool) -> FlushCounts:
        """Land the named sealed segments (oldest first) in the child; its counts."""
        return await self._call({"op": "flush", "names": names, "force": force})

    async def flush_orphans(self) -> FlushCounts:
        """Land the slots of dead processes in the child."""
        return await self._call({"op": "orphans"})

    def _retire(self, proc: asyncio.subprocess.Process) -> None:
        if proc.stdin is not None:
            with contextlib.suppress(ConnectionError, BrokenPipeError):
                proc.stdin.close()
        self._retired.append(proc)
        if self._proc is proc:
            self._proc = None

    async def stop(self) -> None:
        """Close the pipe (the child finishes what it does and exits); kill it if it hangs."""
        async with self._lock:
            if self._proc is not None:
                self._retire(self._proc)
            retired, self._retired = self._retired, []
            for proc in retired:
                if proc.returncode is not None:
                    continue
                try:
                    await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


# -- the child ------------------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL us when the worker dies; exit now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def serve(stdin: Any, out: Any) -> None:
    """(Child) Answer flush requests from the worker until it closes the pipe."""
    from eventyard.collector.landing_writer import run_in_background

    hello = orjson.loads(stdin.readline())
    settings = Settings.model_validate(hello["settings"])
    slot_dir, slot = Path(hello["slot_dir"]), int(hello["slot"])
    run_in_background()  # DuckDB on one thread: landing takes at most one core
    flusher = SlotFlusher(slot_dir, slot, settings, Lander(settings))
    orphan_flushers: dict[Path, SlotFlusher] = {}
    for line in stdin:
        request = orjson.loads(line)
        if request["op"] == "flush":
            counts = flusher.flush(list(request["names"]), force=bool(request["force"]))
        elif request["op"] == "orphans":
            counts = flush_orphans(settings, orphan_flushers, flusher.lander)
        else:
            raise ValueError(f"unknown landing request {request['op']!r}")
        out.write(orjson.dumps({"counts": counts.as_dict(), "counters": flusher.counters}) + b"\n")
        out.flush()


def main() -> None:
    """Entry point of ``python -m eventyard.collector.lander`` (started by a worker's spool)."""
    _die_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid())
    with contextlib.suppress(OSError):
        os.nice(LANDER_NICENESS)
    # The pipe to the worker is the only thing on stdout: anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s lander %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the terminal: the worker stops us
    serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    main()

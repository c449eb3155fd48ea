"""Landing in a child process of each collector worker, so Parquet work never holds its GIL.

Measured (``docs/decisions/0016-*``): with the flush running on a thread of the worker, the
Python parts of a flush (record parsing fallbacks, Arrow/DuckDB glue, the manifest insert)
hold the worker's GIL in slices of up to the 5 ms switch interval, and the event loop's
answers wait behind them: the p99 of ``/v1/t`` rose with every flush in the window. A child
process has its own interpreter, its own niceness (+10) and DuckDB limited to one thread, so
landing takes at most one low-priority core and no time from the event loop at all.

Niceness alone did not keep flushes out of the latency tail (decision 0037): a nice +10 task
still keeps its core for a while when a worker wakes up, and on two cores the workers then
queue. So while landing keeps up, it runs in a child in the idle scheduling class
(``SCHED_IDLE``): the kernel hands its core to any request-serving thread at once, and landing
uses what the workers leave. When landing falls behind (segments pile up, a background flush
runs too long) or someone waits for it (``eventyard flush``), a second child at nice +10 lands,
with its fair share of the CPU, as before.

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
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.errors import RetriableError

# The landing code (flusher: SQLAlchemy, boto3, the settings' pydantic models; about 0.7 s of
# CPU to import) is imported where it runs: in the child, after ``lower_priority``. Imported
# here, it would run at the worker's priority in every child that starts (``main``).
if TYPE_CHECKING:
    from eventyard.collector.flusher import FlushCounts
    from eventyard.settings import Settings

log = logging.getLogger(__name__)

# How much lower than request handling the landing process runs (added niceness).
LANDER_NICENESS = 10
STOP_TIMEOUT_S = 120.0  # a flush in progress finishes before the worker closes its spool
# A background flush normally takes well under a second; one still running after this long is
# starved (the workers keep every core busy): it is killed, and landing goes on at nice +10.
# Flushing is idempotent (same object keys, insert-if-absent manifest rows, delete last), so
# the killed child's partial work is simply done again.
BACKGROUND_FLUSH_LIMIT_S = 10.0
_PR_SET_PDEATHSIG = 1


class LanderUnavailable(RetriableError):
    """The landing child died or answered nonsense; the flush loop restarts it next tick."""


class _Child:
    """One landing child and the pipe to it (started when asked or on first use; restarted if it died)."""

    def __init__(self, owner: LanderProcess, mode: str) -> None:
        self.owner = owner
        self.mode = mode  # "background" or "normal": see ``lower_priority``
        self.counters: dict[str, float] = {}
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.returncode is None else None

    async def ensure(self) -> asyncio.subprocess.Process:
        if self.proc is not None and self.proc.returncode is None:
            return self.proc
        owner = self.owner
        if self.proc is not None:
            owner.restarts += 1
            log.warning(
                "spool slot %d: landing process exited (%s); restarting", owner.slot, self.proc.returncode
            )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eventyard.collector.lander",
            str(os.getpid()),
            self.mode,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            close_fds=True,  # never inherit the slot's lock fd: the lock must die with the worker
        )
        assert proc.stdin is not None
        hello = {
            "settings": owner.settings.model_dump(mode="json"),
            "slot_dir": str(owner.slot_dir),
            "slot": owner.slot,
        }
        proc.stdin.write(orjson.dumps(hello) + b"\n")
        self.proc = proc
        return proc

    async def call(self, request: dict[str, Any]) -> FlushCounts:
        """One request and its answer (the owner's lock held: one flush at a time per slot)."""
        proc = await self.ensure()
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
            self.retire()
            raise
        if not line:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise LanderUnavailable(f"landing process exited with {proc.returncode}")
        from eventyard.collector.flusher import FlushCounts

        answer = orjson.loads(line)
        self.counters = answer["counters"]
        counts = FlushCounts()
        counts.add(answer["counts"])
        return counts

    def retire(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(ConnectionError, BrokenPipeError):
                proc.stdin.close()
        self.owner.retired.append(proc)
        self.proc = None


class LanderProcess:
    """The worker's handle on its landing children: start, ask to flush, stop.

    Two children: a *background* one in the idle scheduling class (started with the flush loop),
    which does all the landing while it keeps up, and a *normal* one at nice +10 for flushes
    someone waits for (``eventyard flush``) and for catching up (decision 0037). Every thread of
    a process inherits its class, so each child is one or the other through and through (the
    thread pools of DuckDB and Arrow included). One flush at a time per slot, whichever child.
    """

    def __init__(self, settings: Settings, slot_dir: Path, slot: int) -> None:
        self.settings = settings
        self.slot_dir = slot_dir
        self.slot = slot
        self._lock = asyncio.Lock()
        self.retired: list[asyncio.subprocess.Process] = []  # closed pipes, flush may still run
        self.restarts = 0
        self._background = _Child(self, "background")
        self._normal = _Child(self, "normal")
        # Set when a background flush was starved and killed; cleared by the next flush that
        # ran at normal priority. The flush loop asks for normal priority while it is set.
        self.starved = False
        self.starved_flushes = 0
        self.background_flush_limit = BACKGROUND_FLUSH_LIMIT_S

    @property
    def pid(self) -> int | None:
        """The background landing child's process id while it runs."""
        return self._background.pid

    @property
    def pids(self) -> list[int]:
        """Process ids of the landing children that run now."""
        return [pid for pid in (self._background.pid, self._normal.pid) if pid is not None]

    @property
    def counters(self) -> dict[str, float]:
        """The children's landing counters, added up (``last_flush_unix``: the latest)."""
        merged: dict[str, float] = {}
        for child in (self._background, self._normal):
            for name, value in child.counters.items():
                if name == "last_flush_unix":
                    merged[name] = max(merged.get(name, 0.0), value)
                else:
                    merged[name] = merged.get(name, 0.0) + value
        return merged

    async def start(self) -> None:
        """Start the background child now, when the worker starts, not at its first flush.

        Starting a child forks the worker (its event loop waits) and imports the landing code.
        At the first flush, that fell among a fresh collector's first seconds of full load:
        started here, the p99 of its first 10 s of /v1/batch went from 31.8-35.9 ms to
        25.5-32.0 ms (decision 0042).
        """
        async with self._lock:
            await self._background.ensure()

    async def flush(self, names: list[str], *, force: bool, background: bool = False) -> FlushCounts:
        """Land the named sealed segments (oldest first) in a child; its counts.

        ``background``: in the idle-class child, killed (and ``starved`` set) if it has not
        finished after ``background_flush_limit`` seconds; otherwise in the nice +10 child.
        """
        request = {"op": "flush", "names": names, "force": force}
        if not background:
            async with self._lock:
                counts = await self._normal.call(request)
            self.starved = False
            return counts
        try:
            return await asyncio.wait_for(self._call_background(request), self.background_flush_limit)
        except TimeoutError:
            self.starved = True
            self.starved_flushes += 1
            log.warning(
                "spool slot %d: a background flush got no CPU for %.0f s; landing at normal priority",
                self.slot,
                self.background_flush_limit,
            )
            await self._kill_retired()
            raise LanderUnavailable("background flush starved; killed") from None

    async def _call_background(self, request: dict[str, Any]) -> FlushCounts:
        async with self._lock:
            return await self._background.call(request)

    async def flush_orphans(self) -> FlushCounts:
        """Land the slots of dead processes (background work: in the idle-class child)."""
        return await self._call_background({"op": "orphans"})

    async def _kill_retired(self) -> None:
        """Kill children whose answer was given up on (their flush is redone by the next one)."""
        async with self._lock:
            retired, self.retired = self.retired, []
            for proc in retired:
                if proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    await proc.wait()

    async def stop(self) -> None:
        """Close the pipes (each child finishes what it does and exits); kill one that hangs."""
        async with self._lock:
            self._background.retire()
            self._normal.retire()
            retired, self.retired = self.retired, []
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


def lower_priority(mode: str) -> None:
    """(Child) Nice +10 for every thread, and in ``background`` mode the idle class too.

    Both are per thread on Linux: threads started later inherit them from their creator, but
    the imports before ``main`` already started some (jemalloc's, thread pools), so every
    thread that exists is set. Lowering one's own priority needs no privilege.
    """
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:  # no procfs: the calling thread at least
        threads = [0]
    idle = mode == "background" and hasattr(os, "SCHED_IDLE")
    for tid in threads:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), LANDER_NICENESS))
        if idle:
            try:
                os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
            except OSError as exc:  # nice +10 still holds
                log.warning("landing: cannot use the idle scheduling class: %s", exc)


def serve(stdin: Any, out: Any) -> None:
    """(Child) Answer flush requests from the worker until it closes the pipe."""
    from eventyard.collector.flusher import Lander, SlotFlusher, flush_orphans
    from eventyard.collector.landing_writer import run_in_background
    from eventyard.settings import Settings

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
    lower_priority(sys.argv[2] if len(sys.argv) > 2 else "normal")
    # The pipe to the worker is the only thing on stdout: anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s lander %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the terminal: the worker stops us
    serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    main()

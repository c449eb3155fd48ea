"""N worker processes, each accepting on its own SO_REUSEPORT listening socket, under one parent.

What ``eventyard collector --workers N`` (N > 1) and the collector benchmark run; by hand:
``python -m eventyard.runtime.workers --app eventyard.collector.app:create_app --workers 2``.

Why not uvicorn's ``--workers``: there every worker accepts from ONE shared socket, and the one
that wakes first accepts every pending connection (libuv accepts until EAGAIN), so a client
that opens its keep-alive connections at once (a load balancer, the benchmark) often lands all
of them on one worker, which then runs a full core while the other idles (decision 0036). Here
the parent binds N sockets to the same address with ``SO_REUSEPORT`` before any worker starts,
and the kernel hashes each new connection to one of them: the load is spread from the first
connection on. The parent keeps the sockets open, so a worker that dies is restarted on the
SAME socket and the connections queued in its backlog wait for it instead of being reset.

The parent supervises: it restarts a worker that exits (backing off while one keeps failing at
start-up, giving up with exit 1 when none can start), kills a worker whose start-up hangs
(``--startup-timeout``; it is then restarted like one that failed), knows when every worker
finished start-up (one byte on a pipe) and then logs it and writes ``--ready-file``, and on
SIGTERM/SIGINT stops every worker gracefully (their lifespan shutdown runs) and exits 0; a
second signal, or ``STOP_TIMEOUT_S``, kills them. Workers die with the parent (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import logging.config
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from eventyard.runtime.listeners import ListenError, listen, write_ready_file
from eventyard.runtime.worker import STARTUP_FAILURE, STARTUP_TIMEOUT_S, AppSpec

STOP_TIMEOUT_S = 60.0  # graceful stop of every worker (the collector's last flush) before SIGKILL
FIRST_BACKOFF_S = 0.5  # before restarting a worker that failed at start-up; doubles each time
MAX_BACKOFF_S = 30.0
IDLE_WAKE_S = 5.0  # the loop wakes on signals and pipes; this only bounds a missed wake-up
# The parent logs as uvicorn's own supervisor did (its logger and format), so the log reads the same.
log = logging.getLogger("uvicorn.error")


@dataclass
class _Slot:
    """One worker position: its socket for good, the current process and its start-up state."""

    index: int
    sock: socket.socket
    process: subprocess.Popen[bytes] | None = None
    ready_pipe: int | None = None  # read end, until the worker reports start-up or exits
    ready: bool = False
    startup_failures: int = 0  # in a row; reset once the worker is ready
    restart_at: float | None = None
    startup_deadline: float | None = None  # while starting: when it is killed as hung


@dataclass
class Workers:
    """The parent: start, watch, restart and stop N workers of ``spec`` on ``sockets``."""

    spec: AppSpec
    sockets: list[socket.socket]
    count: int
    ready_file: Path | None = None
    stop_timeout: float = STOP_TIMEOUT_S
    startup_timeout: float = STARTUP_TIMEOUT_S
    slots: list[_Slot] = field(default_factory=list)
    _signals: list[int] = field(default_factory=list)
    _selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    _announced: bool = False
    _stop_deadline: float | None = None
    _unclean_stop: bool = False

    def run(self) -> int:
        """Serve until a stop signal (exit 0 if every worker stopped cleanly) or until none can start (1)."""
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        self._selector.register(wake_read, selectors.EVENT_READ)
        # Signals only note themselves; the byte on the wake-up pipe ends the select at once.
        signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._note_signal)
        signal.signal(signal.SIGCHLD, lambda sig, frame: None)  # a worker exited: wake up
        self.slots = [_Slot(i, self.sockets[i % len(self.sockets)]) for i in range(self.count)]
        log.info("Started parent process [%d]", os.getpid())
        try:
            for slot in self.slots:
                self._start(slot)
            return self._loop(wake_read)
        finally:
            signal.set_wakeup_fd(-1)
            for slot in self.slots:
                self._close_ready_pipe(slot)
            if self.ready_file is not None:
                self.ready_file.unlink(missing_ok=True)

    def _note_signal(self, sig: int, frame: FrameType | None) -> None:
        self._signals.append(sig)

    def _loop(self, wake_read: int) -> int:
        while True:
            for key, _ in self._selector.select(self._next_timeout()):
                if key.fd == wake_read:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_read, 512)
                else:
                    self._on_ready_pipe(key.data)
            while self._signals:
                self._on_signal(self._signals.pop(0))
            exited = [s for s in self.slots if s.process is not None and s.process.poll() is not None]
            if any([self._on_exit(slot) for slot in exited]):  # a list: reap every one
                self._stop_all(signal.SIGTERM)
                self._wait_all_stopped()
                return 1
            if self._stop_deadline is not None:
                if all(slot.process is None for slot in self.slots):
                    log.info("Stopping parent process [%d]", os.getpid())
                    return 1 if self._unclean_stop else 0
                if time.monotonic() >= self._stop_deadline:
                    log.error(
                        "workers still running %.0fs after the stop signal: killing them", self.stop_timeout
                    )
                    self._kill_all()
                continue
            now = time.monotonic()
            for slot in self.slots:
                if slot.restart_at is not None and now >= slot.restart_at:
                    self._start(slot)
                elif slot.startup_deadline is not None and now >= slot.startup_deadline:
                    self._kill_hung(slot)
            self._announce_if_all_ready()

    def _next_timeout(self) -> float:
        deadlines = [s.restart_at for s in self.slots if s.restart_at is not None]
        deadlines += [s.startup_deadline for s in self.slots if s.startup_deadline is not None]
        if self._stop_deadline is not None:
            deadlines.append(self._stop_deadline)
        if not deadlines:
            return IDLE_WAKE_S
        return min(IDLE_WAKE_S, max(0.0, min(deadlines) - time.monotonic()))

    def _start(self, slot: _Slot) -> None:
        read_end, write_end = os.pipe()
        command = [
            sys.executable, "-m", "eventyard.runtime.worker", "--socket-fd", str(slot.sock.fileno()),
            "--ready-fd", str(write_end), "--parent", str(os.getpid()), "--spec", self.spec.to_json(),
        ]  # fmt: skip
        try:
            slot.process = subprocess.Popen(command, pass_fds=(slot.sock.fileno(), write_end))
        finally:
            os.close(write_end)
        slot.ready, slot.restart_at, slot.ready_pipe = False, None, read_end
        slot.startup_deadline = time.monotonic() + self.startup_timeout
        self._selector.register(read_end, selectors.EVENT_READ, slot)

    def _kill_hung(self, slot: _Slot) -> None:
        """Kill a worker still starting after ``startup_timeout`` (its exit is a start-up failure)."""
        slot.startup_deadline = None
        if slot.process is not None and slot.process.poll() is None:
            log.error(
                "worker %d [%d] has not finished its start-up after %.0fs: killing it",
                slot.index, slot.process.pid, self.startup_timeout,
            )  # fmt: skip
            slot.process.kill()

    def _on_ready_pipe(self, slot: _Slot) -> None:
        assert slot.ready_pipe is not None
        slot.startup_deadline = None
        if os.read(slot.ready_pipe, 1):
            slot.ready, slot.startup_failures = True, 0
            if self._announced and slot.process is not None:  # a replacement
                log.info("worker %d [%d] ready", slot.index, slot.process.pid)
        self._close_ready_pipe(slot)  # ready, or end of file: the worker exited (reaped below)

    def _close_ready_pipe(self, slot: _Slot) -> None:
        if slot.ready_pipe is not None:
            self._selector.unregister(slot.ready_pipe)
            os.close(slot.ready_pipe)
            slot.ready_pipe = None

    def _on_exit(self, slot: _Slot) -> bool:
        """Reap a worker and decide what follows; True when no worker can start (give up)."""
        assert slot.process is not None
        pid, code = slot.process.pid, slot.process.returncode
        slot.process, slot.startup_deadline = None, None
        self._close_ready_pipe(slot)
        _forget_metrics_of(pid)
        if self._stop_deadline is not None:  # stopping: every exit is expected; was it clean?
            if code not in (0, -signal.SIGTERM, -signal.SIGINT):
                self._unclean_stop = True
                log.error("worker %d [%d] stopped with %s", slot.index, pid, _describe(code))
            return False
        if slot.ready:
            log.error("worker %d [%d] %s; restarting it on the same socket", slot.index, pid, _describe(code))
            slot.ready, slot.restart_at = False, time.monotonic()
            return False
        slot.startup_failures += 1
        if not any(s.ready for s in self.slots) and all(s.startup_failures for s in self.slots):
            log.error(
                "no worker could start (the last %s before its start-up finished): stopping. %s",
                _describe(code),
                "The app failed its start-up; see above." if code == STARTUP_FAILURE else "See above.",
            )
            return True
        backoff = min(FIRST_BACKOFF_S * 2 ** (slot.startup_failures - 1), MAX_BACKOFF_S)
        log.error(
            "worker %d [%d] %s before its start-up finished; restarting it in %.1fs",
            slot.index, pid, _describe(code), backoff,
        )  # fmt: skip
        slot.restart_at = time.monotonic() + backoff
        return False

    def _on_signal(self, sig: int) -> None:
        if self._stop_deadline is None:
            log.info("Received %s: stopping %d workers gracefully", signal.Signals(sig).name, self.count)
            self._stop_all(signal.SIGTERM)
        else:
            log.warning("Received %s again: killing the workers", signal.Signals(sig).name)
            self._kill_all()

    def _stop_all(self, sig: int) -> None:
        self._stop_deadline = time.monotonic() + self.stop_timeout
        for slot in self.slots:
            slot.restart_at, slot.startup_deadline = None, None
            if slot.process is not None and slot.process.poll() is None:
                slot.process.send_signal(sig)

    def _kill_all(self) -> None:
        self._unclean_stop = True
        self._stop_deadline = time.monotonic() + IDLE_WAKE_S  # not again until they had time to die
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                slot.process.kill()

    def _wait_all_stopped(self) -> None:
        for slot in self.slots:
            if slot.process is None:
                continue
            try:
                slot.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                slot.process.kill()
                slot.process.wait()
            slot.process = None

    def _announce_if_all_ready(self) -> None:
        if self._announced or not all(slot.ready for slot in self.slots):
            return
        self._announced = True
        host, port = self.spec.host, self.sockets[0].getsockname()[1]
        log.info("%d workers ready on http://%s:%d", self.count, f"[{host}]" if ":" in host else host, port)
        if self.ready_file is not None:
            pids = [slot.process.pid for slot in self.slots if slot.process is not None]
            write_ready_file(self.ready_file, port=port, workers=pids)


def _describe(code: int | None) -> str:
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _forget_metrics_of(pid: int) -> None:
    """A dead worker's live gauges leave prometheus-client's multiprocess aggregate (if in use)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def run_workers(
    spec: AppSpec, workers: int, *, ready_file: Path | None = None, startup_timeout: float = STARTUP_TIMEOUT_S
) -> int:
    """Bind, start and supervise ``workers`` workers of ``spec``; the process's exit code."""
    logging.config.dictConfig(_uvicorn_logging(spec.log_level))
    try:
        sockets = listen(spec.host, spec.port, workers)
    except ListenError as exc:
        log.error("%s", exc)
        return 1
    spec = dataclasses.replace(spec, port=sockets[0].getsockname()[1])  # port 0: the one chosen
    try:
        return Workers(spec, sockets, workers, ready_file=ready_file, startup_timeout=startup_timeout).run()
    finally:
        for sock in sockets:
            sock.close()


def _uvicorn_logging(level: str) -> dict[str, object]:
    from uvicorn.config import LOG_LEVELS, LOGGING_CONFIG

    config = json.loads(json.dumps(LOGGING_CONFIG))
    config["loggers"]["uvicorn.error"]["level"] = LOG_LEVELS[level]
    return dict(config)


def main(argv: list[str] | None = None) -> None:
    """``python -m eventyard.runtime.workers --app module:factory --workers N [--ready-file PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m eventyard.runtime.workers", description=__doc__)
    parser.add_argument("--app", required=True, help="module:attribute of the ASGI app (or its factory)")
    parser.add_argument("--factory", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0: a free port (see --ready-file)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--http", default="httptools", help="uvicorn's --http (e.g. the collector's protocol)"
    )
    parser.add_argument("--proxy-headers", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--ready-file", type=Path, help="written (JSON: pid, port, workers) once all are ready"
    )
    parser.add_argument(
        "--startup-timeout", type=float, default=STARTUP_TIMEOUT_S,
        help="seconds a worker may take to start before it is killed and restarted",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.startup_timeout <= 0:
        parser.error("--startup-timeout must be more than 0 seconds")
    spec = AppSpec(
        app=args.app, factory=args.factory, host=args.host, port=args.port, http=args.http,
        proxy_headers=args.proxy_headers, forwarded_allow_ips=args.forwarded_allow_ips,
        log_level=args.log_level,
    )  # fmt: skip
    workers = max(1, args.workers)
    sys.exit(run_workers(spec, workers, ready_file=args.ready_file, startup_timeout=args.startup_timeout))


if __name__ == "__main__":
    main()

"""Run several long-lived processes as one: prefixed log lines, one Ctrl-C stops them all.

What ``eventyard up`` and ``eventyard airflow`` use to start the collector, Houston and
Airflow's services. Each process runs in its own session (process group), so a stop reaches
the children it forked too (the LocalExecutor's workers, uvicorn's workers, task processes),
and so the terminal's Ctrl-C reaches only the supervisor, which then stops the group in order.
If one process exits on its own, the others are stopped too: a stack with a dead scheduler
must not look healthy.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

STOP_GRACE_SECONDS = 20.0
COLORS = ("36", "33", "35", "32", "34", "31", "96", "93")


@dataclass(frozen=True)
class Service:
    """One process of the stack: its name (the log prefix), command line and environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    url: str | None = None  # what to print for people (a UI or API address)
    ready_url: str | None = None  # polled until it answers, to print "ready"
    # Must exist as well before the service counts as ready: a service of several processes
    # (``eventyard collector --workers N --ready-file``) writes it once every one has started,
    # where its ``ready_url`` answers as soon as the first does.
    ready_file: Path | None = None
    after: str | None = None  # start only once this service is ready


def is_ready(service: Service, timeout: float = 1.0) -> bool:
    """Whether ``service`` is ready: its ``ready_file`` exists and its ``ready_url`` answers (< 500)."""
    import httpx

    if service.ready_file is not None and not service.ready_file.exists():
        return False
    if service.ready_url is None:
        return service.ready_file is not None
    try:
        return httpx.get(service.ready_url, timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False


@dataclass
class _Running:
    service: Service
    process: subprocess.Popen[bytes]
    reader: threading.Thread
    exited_at: float | None = None


@dataclass
class Supervisor:
    """Starts services, merges their output into one prefixed stream, stops them together."""

    services: Sequence[Service]
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    color: bool = field(default_factory=lambda: sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    _running: list[_Running] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def emit(self, name: str, line: str) -> None:
        """Write one line with the service's prefix (thread-safe, whole lines only)."""
        width = max((len(s.name) for s in self.services), default=len(name))
        prefix = f"{name:<{width}} | "
        if self.color:
            names = [s.name for s in self.services]
            code = COLORS[names.index(name) % len(COLORS)] if name in names else "0"
            prefix = f"\x1b[{code}m{prefix}\x1b[0m"
        with self._lock:
            self.out.write(prefix + line.rstrip("\n") + "\n")
            self.out.flush()

    def start(self, ready_timeout: float = 600.0) -> None:
        """Start every service in order; one with ``after`` waits until that service answers."""
        by_name = {s.name: s for s in self.services}
        for service in self.services:
            if service.after is not None and not self._await_ready(by_name[service.after], ready_timeout):
                self.emit(service.name, f"not started: {service.after} never answered")
                self._stopping.set()
                return
            if service.ready_file is not None:  # one left by an earlier run would say "ready" at once
                service.ready_file.unlink(missing_ok=True)
            process = subprocess.Popen(
                list(service.argv),
                env=dict(service.env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            assert process.stdout is not None
            reader = threading.Thread(
                target=self._pump, args=(service.name, process.stdout), daemon=True, name=service.name
            )
            reader.start()
            self._running.append(_Running(service, process, reader))
            self.emit(service.name, f"started (pid {process.pid}): {' '.join(service.argv[:3])}")

    def _await_ready(self, service: Service, timeout: float) -> bool:
        if service.ready_url is None and service.ready_file is None:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stopping.is_set():
            if is_ready(service, timeout=2.0):
                return True
            if any(r.process.poll() is not None for r in self._running):
                return False
            time.sleep(0.5)
        return False

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.emit(name, raw.decode("utf-8", "replace"))

    def wait(self, on_tick: Callable[[], None] | None = None) -> int:
        """Block until a stop is asked for or a service exits; stop all; return the exit code.

        0 after a requested stop (Ctrl-C, SIGTERM), 1 when a service exited on its own.
        """
        code = 0
        while not self._stopping.is_set():
            dead = next((r for r in self._running if r.process.poll() is not None), None)
            if dead is not None:
                self.emit(dead.service.name, f"exited with code {dead.process.returncode}; stopping the rest")
                code = 1
                break
            if on_tick is not None:
                on_tick()
            self._stopping.wait(0.5)
        self.stop()
        return code

    def request_stop(self, *_: object) -> None:
        """Ask ``wait`` to stop everything (a signal handler)."""
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        """Ctrl-C (SIGINT) and SIGTERM stop the stack instead of killing only this process."""
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM every process group (last started first), then SIGKILL what outlives ``grace``."""
        self._stopping.set()
        for running in reversed(self._running):
            _signal_group(running.process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for running in reversed(self._running):
            with contextlib.suppress(subprocess.TimeoutExpired):
                running.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for running in self._running:
            # The group too: forked workers may outlive their parent.
            _signal_group(running.process, signal.SIGKILL)
            running.process.wait()
            running.reader.join(timeout=2)
            self.emit(running.service.name, f"stopped (code {running.process.returncode})")

    def exited(self) -> dict[str, int]:
        """The services whose process has ended, with its exit code."""
        return {r.service.name: code for r in self._running if (code := r.process.poll()) is not None}

    def pids(self) -> dict[str, int]:
        """Each service's process id (the leader of its process group)."""
        return {r.service.name: r.process.pid for r in self._running}


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)

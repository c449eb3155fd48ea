"""A real collector in a subprocess (uvicorn + ``create_app``) and a source to send to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from eventyard.collector.http_protocol import HTTP_PROTOCOL
from eventyard.db.engine import engine_for, session_scope
from eventyard.db.models import Organization, Source
from eventyard.ids import new_id
from eventyard.settings import Settings
from tests.conftest import free_port


def create_source(settings: Settings) -> str:
    """A fresh organization and source in the control DB; returns the write key."""
    write_key = new_id()
    with session_scope(engine_for(settings.resolved_database_url)) as session:
        org = Organization(name="Crash test")
        session.add(org)
        session.flush()
        session.add(Source(id=write_key, org_id=org.id, name="crash", platform="server"))
    return write_key


class CollectorProcess:
    """The collector on a free loopback port: one worker as ``uvicorn --factory ...create_app``
    (this process is the worker), several as ``eventyard collector --workers N`` (the parent)."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        ready_file = log_path.with_suffix(".ready") if workers > 1 else None
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "eventyard.collector.app:create_app",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--loop", "uvloop", "--http", HTTP_PROTOCOL, "--no-access-log",
        ]  # fmt: skip
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
            command = [
                str(Path(sys.executable).parent / "eventyard"), "collector", "--port", str(self.port),
                "--workers", str(workers), "--ready-file", str(ready_file),
            ]  # fmt: skip
        self.proc = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(ready_file)

    def _wait_ready(self, ready_file: Path | None, timeout: float = 60.0) -> None:
        """Until /readyz answers, or with several workers until every one has started (the ready file)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited with {self.proc.returncode}; see {self._log.name}")
            if ready_file is not None:
                if ready_file.exists():
                    return
            else:
                try:
                    if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError(f"collector not ready within {timeout}s; see {self._log.name}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no last flush."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def __enter__(self) -> CollectorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """A test that failed half-way leaves no collector running (its landing child dies with it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        """SIGTERM: a graceful shutdown (uvicorn runs the lifespan shutdown)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._log.close()

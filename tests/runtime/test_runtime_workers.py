"""The multi-worker runner (``runtime/workers.py``) as production runs it: real processes, real sockets.

Each worker accepts on its own SO_REUSEPORT socket, so connections a client opens all at once
are spread over the workers; a port that is taken or an app that cannot start fails at once
with a message that says so. (The collector's own restart and stop: tests/collector/crash.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

CONNECTIONS = 64
PID_APP = "tests.runtime.pid_app:create_app"


def _runner(app: str, *args: str, ready_file: Path | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "eventyard.runtime.workers", "--app", app, "--port", "0", *args]
    if ready_file is not None:
        command += ["--ready-file", str(ready_file)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_ready_file(path: Path, process: subprocess.Popen[str], timeout: float = 60.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return dict(json.loads(path.read_text()))
        if process.poll() is not None:
            raise AssertionError(f"the runner exited with {process.returncode}:\n{process.communicate()[0]}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"not ready within {timeout}s:\n{process.communicate()[0]}")


@pytest.fixture
def pid_runner(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, object], Path]]:
    """Two workers of the pid app on a free port; yields the process, the ready file's content, its path."""
    ready_file = tmp_path / "ready.json"
    process = _runner(PID_APP, "--workers", "2", "--http", "httptools", ready_file=ready_file)
    try:
        yield process, _wait_ready_file(ready_file, process), ready_file
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _get_pid(sock: socket.socket) -> int:
    """One keep-alive GET on an open connection; the pid of the worker that answered."""
    sock.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.split(b"\r\n\r\n", 1)[1]:
        chunk = sock.recv(4096)
        assert chunk, "the connection closed before the answer"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200")
    return int(body)


@pytest.mark.slow
def test_connections_opened_at_once_are_spread_over_both_workers(
    pid_runner: tuple[subprocess.Popen[str], dict[str, object], Path],
) -> None:
    _, ready, _ = pid_runner
    port = int(str(ready["port"]))
    # Every connection is established (the kernel's handshake) before any request is sent, as a
    # load balancer or the benchmark opens its pool: a shared socket gave most of them to one worker.
    connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(CONNECTIONS)]
    try:
        served_by = Counter(_get_pid(sock) for sock in connections)
        # Keep-alive: a second request on each connection is served by the same worker.
        assert Counter(_get_pid(sock) for sock in connections) == served_by
    finally:
        for sock in connections:
            sock.close()
    assert set(served_by) == set(ready["workers"])  # type: ignore[arg-type]
    # Hashing 64 connections over 2 sockets: fewer than 16 on one has a chance of about 1e-5.
    assert min(served_by.values()) >= CONNECTIONS // 4, served_by


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_sigterm_stops_all_with_exit_0(
    pid_runner: tuple[subprocess.Popen[str], dict[str, object], Path],
) -> None:
    process, ready, ready_file = pid_runner
    port, workers = int(str(ready["port"])), list(ready["workers"])  # type: ignore[call-overload]
    os.kill(workers[0], signal.SIGKILL)
    # Every new connection is answered again, by the survivor and the restarted worker on the
    # killed one's socket (its connections waited in that socket's backlog, not reset).
    deadline, pids = time.monotonic() + 60, set()
    while time.monotonic() < deadline and len(pids - {workers[0]}) < 2:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            pids.add(_get_pid(sock))
    assert workers[0] not in pids
    assert workers[1] in pids and len(pids) == 2, pids
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "restarting it on the same socket" in output
    assert output.count("Application shutdown complete") == 2, output  # both lifespans shut down
    assert not ready_file.exists()
    assert not any(_alive(pid) for pid in pids)


@pytest.mark.slow
def test_a_taken_port_fails_at_once_naming_the_address(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        command = [
            str(Path(sys.executable).parent / "eventyard"),
            "collector",
            "--port",
            str(port),
            "--workers",
            "2",
        ]
        result = subprocess.run(
            command,
            env={**os.environ, "EVENTYARD_HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr + result.stdout
    assert "in use" in result.stderr + result.stdout


@pytest.mark.slow
def test_an_app_that_cannot_start_gives_up_with_exit_1(tmp_path: Path) -> None:
    process = _runner("tests.runtime.pid_app:create_broken_app", "--workers", "2")
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1, output
    assert "no worker could start" in output
    assert "the test app refuses to start" in output


@pytest.mark.slow
def test_a_start_up_that_hangs_is_killed_after_the_timeout(tmp_path: Path) -> None:
    process = _runner("tests.runtime.pid_app:create_hanging_app", "--workers", "2", "--startup-timeout", "2")
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1, output
    assert output.count("has not finished its start-up after 2s: killing it") == 2, output
    assert "no worker could start (the last was killed by SIGKILL" in output


@pytest.mark.slow
def test_workers_die_with_their_parent(
    pid_runner: tuple[subprocess.Popen[str], dict[str, object], Path],
) -> None:
    process, ready, _ = pid_runner
    process.kill()  # no supervisor left to stop them: the kernel tells them (PR_SET_PDEATHSIG)
    process.wait(timeout=30)
    workers = list(ready["workers"])  # type: ignore[call-overload]
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "a worker outlived its parent"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

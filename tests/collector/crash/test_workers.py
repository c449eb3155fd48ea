"""``eventyard collector --workers 2`` (each worker on its own SO_REUSEPORT socket) under fire.

A SIGKILLed worker is restarted by the parent on the same socket while clients keep posting,
and SIGTERM stops the parent and both workers gracefully (exit 0, each worker's last flush):
every acknowledged event has landed, exactly once, with no flush from outside.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from eventyard.settings import Settings
from tests.conftest import free_port

from ..spool.helpers import batches, landed_ids
from .server import create_source
from .test_sigkill import Sender


def _start(
    tmp_path: Path, workers: int = 2, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str, list[int], Path]:
    """The real CLI; once every worker is ready: process, URL, worker pids, log."""
    ready_file, log = tmp_path / "ready.json", tmp_path / "collector.log"
    port = free_port() if port is None else port
    command = [
        str(Path(sys.executable).parent / "eventyard"), "collector", "--port", str(port),
        "--workers", str(workers), "--ready-file", str(ready_file),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not ready_file.exists():
        assert process.poll() is None, f"collector exited early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"collector not ready:\n{log.read_text()}"
        time.sleep(0.05)
    ready = json.loads(ready_file.read_text())
    return process, f"http://127.0.0.1:{ready['port']}", list(ready["workers"]), log


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_sigterm_lands_every_acknowledged_event(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    write_key = create_source(sqlite_settings)
    process, url, workers, log = _start(tmp_path)
    try:
        sender = Sender(url, write_key, itertools.count())
        sender.wait_for(1000)
        os.kill(workers[0], signal.SIGKILL)  # mid-stream: the senders keep posting
        deadline = time.monotonic() + 120
        while not (replaced := re.search(r"worker 0 \[(\d+)\] ready", log.read_text())):
            assert time.monotonic() < deadline, f"no replacement worker:\n{log.read_text()}"
            time.sleep(0.1)
        replacement = int(replaced.group(1))
        assert _children(process.pid) == {replacement, workers[1]}
        acked_before = len(sender.acked)
        sender.wait_for(acked_before + 1000)  # the service keeps answering
        sender.stop()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text()
    assert f"worker 0 [{workers[0]}] was killed by SIGKILL; restarting it on the same socket" in text
    assert text.count("Application shutdown complete") == 2  # the replacement and the survivor
    for pid in (replacement, workers[1]):
        assert not Path(f"/proc/{pid}").exists(), "a worker outlived its parent's stop"
    # No flush from outside: the replacement took over the killed worker's slot (replaying what it
    # left), and the graceful stop ran every worker's last flush.
    landed = landed_ids(sqlite_settings)
    assert len(landed) == len(set(landed)), "an event landed twice"
    missing = set(sender.acked) - set(landed)
    assert not missing, f"{len(missing)} acknowledged events were lost, e.g. {sorted(missing)[:5]}"
    assert set(landed) <= set(sender.acked) | set(sender.failed)
    assert sum(row.row_count for row in batches(sqlite_settings)) == len(landed)


@pytest.mark.slow
def test_one_worker_names_the_port_it_got_in_the_ready_file_and_stops_with_exit_0(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    process, url, workers, log = _start(tmp_path, workers=1, port=0)
    try:
        assert workers == [process.pid]  # one worker: the server runs in the CLI's process
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (tmp_path / "ready.json").exists()

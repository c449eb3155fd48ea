"""Kill -9 the collector mid-stream, twice, and restart it: every acknowledged event lands exactly once.

The client records the messageId of every event the collector acknowledged (HTTP 200). It
never resends an event whose request failed, so nothing here can legitimately appear twice:
the test dedupes nothing and asserts acked ⊆ landed and no messageId twice.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from eventyard.collector.flusher import flush_all
from eventyard.collector.slots import slot_dirs, try_lock_slot
from eventyard.settings import Settings

from ..spool.helpers import batches, landed_ids
from .server import CollectorProcess, create_source

SENDERS = 4
EVENTS_PER_REQUEST = 20


class Sender:
    """Client threads posting /v1/batch with unique messageIds, recording what was acknowledged."""

    def __init__(self, url: str, write_key: str, counter: itertools.count[int]) -> None:
        self.url, self.write_key, self.counter = url, write_key, counter
        self.acked: list[str] = []
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(SENDERS)]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, auth=(self.write_key, ""), timeout=10.0) as client:
            while not self._stop.is_set():
                with self._lock:
                    ids = [f"msg-{next(self.counter)}" for _ in range(EVENTS_PER_REQUEST)]
                batch = [{"type": "track", "event": "Tick", "userId": "u-1", "messageId": i} for i in ids]
                try:
                    response = client.post("/v1/batch", json={"batch": batch})
                    ok = response.status_code == 200 and response.json().get("success") is True
                except httpx.HTTPError:
                    ok = False
                with self._lock:
                    (self.acked if ok else self.failed).extend(ids)

    def wait_for(self, acked: int, timeout: float = 60.0) -> None:
        """Block until this many events were acknowledged (bounded)."""
        deadline = time.monotonic() + timeout
        while len(self.acked) < acked and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.acked) >= acked, f"only {len(self.acked)} events acknowledged in {timeout}s"

    def stop(self) -> None:
        """Stop sending and wait for in-flight requests to finish or fail."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def _landers_of(worker_pid: int) -> list[int]:
    """Live landing processes started by a worker (their command line names the worker)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if b"eventyard.collector.lander" in argv and str(worker_pid).encode() in argv and state != "Z":
            found.append(int(proc.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("fsync", ["blocking", "aio"])
def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: str
) -> None:
    monkeypatch.setenv("EVENTYARD_FLUSH_INTERVAL_SECONDS", "0.1")  # flushes race with the kills
    monkeypatch.setenv("EVENTYARD_SPOOL_FSYNC", fsync)  # acknowledged only after either kind of fsync
    settings = sqlite_settings.model_copy(update={"flush_interval_seconds": 0.1})
    write_key = create_source(settings)
    env = dict(os.environ)
    counter = itertools.count()
    acked: list[str] = []
    failed: list[str] = []

    for _ in range(2):
        with CollectorProcess(env, tmp_path / "collector.log") as server:
            sender = Sender(server.url, write_key, counter)
            sender.wait_for(3000)
            time.sleep(random.uniform(0.5, 1.5))  # let several flushes run, so the kill can hit one
            for _ in range(600):  # bounded: on a loaded machine the child may still be starting
                if _landers_of(server.proc.pid):
                    break
                time.sleep(0.05)
            assert _landers_of(server.proc.pid), "the worker lands through its own child process"
            server.kill()  # mid-stream: the senders are still posting
            for _ in range(200):  # bounded: the kernel kills the landing child with its worker
                if not _landers_of(server.proc.pid):
                    break
                time.sleep(0.05)
            assert not _landers_of(server.proc.pid), "a landing process outlived its killed worker"
            sender.stop()
            acked += sender.acked
            failed += sender.failed
            assert sender.failed, "the kill should have interrupted some requests"

    # Restart: the new process replays what the killed ones left; keep sending, then have the
    # live owner flush on request (flush_all from another process), then stop gracefully.
    server = CollectorProcess(env, tmp_path / "collector.log")
    sender = Sender(server.url, write_key, counter)
    sender.wait_for(1000)
    sender.stop()
    acked += sender.acked
    failed += sender.failed
    live = flush_all(settings)
    assert live["unanswered_slots"] == 0 and live["failed_segments"] == 0
    server.stop()
    flush_all(settings)

    landed = landed_ids(settings)
    assert len(landed) == len(set(landed)), "an event landed twice"
    missing = set(acked) - set(landed)
    assert not missing, f"{len(missing)} acknowledged events were lost, e.g. {sorted(missing)[:5]}"
    # Events whose request failed may or may not have been spooled; anything else is foreign.
    assert set(landed) <= set(acked) | set(failed)
    assert sum(row.row_count for row in batches(settings)) == len(landed)


@pytest.mark.slow
def test_each_worker_process_owns_a_slot_and_everything_lands(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    write_key = create_source(sqlite_settings)
    server = CollectorProcess(dict(os.environ), tmp_path / "collector.log", workers=2)
    sender = Sender(server.url, write_key, itertools.count())
    sender.wait_for(2000)
    sender.stop()
    owned = []
    for _ in range(200):  # bounded wait until both workers have run their lifespan startup
        owned = [d for _, d in slot_dirs(sqlite_settings.resolved_spool_dir) if _is_locked(d)]
        if len(owned) == 2:
            break
        time.sleep(0.05)
    assert len(owned) == 2, "each of the two workers holds its own spool slot"
    assert flush_all(sqlite_settings)["unanswered_slots"] == 0  # both owners flush on request
    server.stop()
    flush_all(sqlite_settings)
    landed = landed_ids(sqlite_settings)
    assert len(landed) == len(set(landed))
    assert set(sender.acked) <= set(landed)


def _is_locked(slot_dir: Path) -> bool:
    fd = try_lock_slot(slot_dir)
    if fd is None:
        return True
    os.close(fd)
    return False

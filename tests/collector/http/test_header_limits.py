"""The collector's HTTP server bounds request headers in size and arrival time (a real uvicorn
process, as `eventyard collector` runs it): oversized headers get 431 without the worker's
memory growing, trickled headers get 408, and normal traffic, including a 32 KiB event in a
pixel's ``?data=``, is unaffected.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eventyard.settings import Settings
from tests.collector.crash.server import CollectorProcess, create_source

ATTACKERS = 6
HEADER_MB = 32  # per attacker: unbounded, the worker would buffer ATTACKERS x 32 MB
RSS_GROWTH_LIMIT = 48 * 1024 * 1024


def rss(pid: int) -> int:
    """Resident memory of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def read_answer(sock: socket.socket, deadline: float) -> bytes:
    """Everything the server sends until it closes (or the deadline passes)."""
    chunks = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def collector(sqlite_settings: Settings, tmp_path: Path) -> Iterator[tuple[CollectorProcess, str]]:
    env = {**os.environ, "EVENTYARD_COLLECTOR_HEADER_TIMEOUT_SECONDS": "1"}
    server = CollectorProcess(env, tmp_path / "collector.log")
    try:
        yield server, create_source(sqlite_settings)
    finally:
        server.stop()


def test_huge_headers_get_431_and_the_workers_memory_stays_flat(
    collector: tuple[CollectorProcess, str],
) -> None:
    server, _ = collector
    pid = server.proc.pid
    baseline = rss(pid)
    peak = baseline
    answers: list[bytes] = []

    def attack() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            chunk = b"a" * (1024 * 1024)
            try:
                sock.sendall(b"POST /v1/t HTTP/1.1\r\nHost: collector\r\nX-Padding: ")
                for _ in range(HEADER_MB):
                    sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may be done with us before all 32 MB are out
            answers.append(read_answer(sock, time.monotonic() + 30))

    threads = [threading.Thread(target=attack) for _ in range(ATTACKERS)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss(pid))
        time.sleep(0.01)
    after = rss(pid)
    assert peak - baseline < RSS_GROWTH_LIMIT, f"RSS grew {(peak - baseline) >> 20} MB under the attack"
    assert after - baseline < RSS_GROWTH_LIMIT, f"RSS kept {(after - baseline) >> 20} MB after the attack"
    assert len(answers) == ATTACKERS
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == "headers_too_large"
    # The worker is fine afterwards.
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_trickled_headers_get_408_and_idle_connections_are_closed(
    collector: tuple[CollectorProcess, str],
) -> None:
    server, _ = collector
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as slow,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as idle,
    ):
        slow.sendall(b"POST /v1/t HTTP/1.1\r\nHost: collector\r\nX-Slow: ")
        started = time.monotonic()
        answer = b""
        while time.monotonic() - started < 20 and not answer:
            try:
                slow.sendall(b"a")  # one byte at a time, never finishing the headers
            except (BrokenPipeError, ConnectionResetError):
                break
            slow.settimeout(0.3)
            try:
                answer = slow.recv(65536)
            except TimeoutError:
                continue
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b'"code":"header_timeout"' in answer
        assert time.monotonic() - started < 15
        assert read_answer(idle, time.monotonic() + 15) == b""  # closed without a word


def test_ordinary_requests_and_a_32_kib_pixel_pass(collector: tuple[CollectorProcess, str]) -> None:
    server, write_key = collector
    with httpx.Client(base_url=server.url, timeout=10) as client:
        cookie = "session=" + "c" * 8000  # browsers send their cookies to the collector's domain
        track = {"userId": "u1", "event": "Signed Up", "writeKey": write_key}
        for _ in range(3):  # keep-alive: each request's headers are counted afresh
            response = client.post("/v1/track", json=track, headers={"cookie": cookie})
            assert response.status_code == 200, response.text
        event = {**track, "properties": {"blob": "x" * (32 * 1024 - 200)}}
        data = base64.b64encode(json.dumps(event).encode()).decode()
        assert len(data) > 40_000
        response = client.get("/v1/pixel/track", params={"data": data})
        assert response.status_code == 200, response.text[:200]

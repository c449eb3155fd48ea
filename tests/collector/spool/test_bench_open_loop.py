"""The open-loop generator of ``eventyard bench collector``: constant rate, latency from the intended time."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.bench import openloop
from eventyard.collector.bench.tail import histogram_delta

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n" + b'{"success":true}'


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return openloop.build(tmp_path_factory.mktemp("openloop"))


class StallingServer:
    """A keep-alive HTTP server on its own thread, answering at once except request ``stall_at``."""

    def __init__(self, stall_at: int | None, stall_s: float) -> None:
        self.stall_at, self.stall_s = stall_at, stall_s
        self.arrivals = 0
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port: int = self.server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            self.arrivals += 1
            if self.arrivals == self.stall_at:
                await asyncio.sleep(self.stall_s)
            # Headers and body in two writes, as uvicorn does: the generator must join them.
            writer.write(RESPONSE[:20])
            await writer.drain()
            writer.write(RESPONSE[20:])
            await writer.drain()
        writer.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _run(generator: Path, tmp_path: Path, stall_at: int | None = None, stall_s: float = 0.0) -> dict:
    server = StallingServer(stall_at, stall_s)
    try:
        request = openloop.build_request("127.0.0.1", server.port, "/v1/t", b"{}", "a2V5Og==")
        return openloop.run(
            generator, server.port, request, rate=200, seconds=1.0, connections=1, directory=tmp_path,
            warmup=0.1,
        )  # fmt: skip
    finally:
        server.stop()


def test_a_steady_server_is_sent_the_rate_asked_for(generator: Path, tmp_path: Path) -> None:
    summary = _run(generator, tmp_path)
    assert summary["errors"] == 0 and summary["lost_connections"] == 0
    assert 180 <= summary["completed"] <= 220  # 200 req/s for 1 s, all of them recorded
    assert sum(count for _, count in summary["histogram_ms"]) == summary["completed"]
    assert 0 < summary["generator_cpu"] < 1


def test_a_stall_is_charged_to_every_request_that_waited_behind_it(generator: Path, tmp_path: Path) -> None:
    # One connection: a closed-loop client would send nothing during the 300 ms stall and
    # record one slow sample; here the ~60 requests due meanwhile all wait and are charged.
    summary = _run(generator, tmp_path, stall_at=60, stall_s=0.3)
    assert 180 <= summary["completed"] <= 220, "requests due during the stall are not omitted"
    assert summary["max_ms"] >= 250
    assert summary["p99_ms"] >= 100, "the queue behind the stall shows in the tail"
    assert summary["max_backlog"] >= 20
    slow = summary["slow_at_s"]
    assert len(slow) >= 20, "the requests queued behind the stall are the slow ones"
    assert all(0 <= at <= 1.0 for at in slow) and max(slow) - min(slow) < 0.6, "all near the stall"


def test_slow_requests_are_counted_near_a_flush_when_within_half_a_second() -> None:
    from eventyard.collector.bench.tail import near_flushes

    flushes = [5.0, 10.2]
    assert near_flushes([4.6, 5.4, 7.0, 10.0, 10.8, 30.0], flushes) == 3
    assert near_flushes([1.0, 2.0], []) == 0


def test_histogram_delta_is_the_difference_of_cumulative_buckets() -> None:
    before = {"0.001": 5.0, "0.01": 8.0, "+Inf": 9.0}
    after = {"0.001": 15.0, "0.01": 20.0, "+Inf": 22.0}
    assert histogram_delta(before, after) == [[1.0, 10], [10.0, 2], [None, 1]]


def test_open_loop_only_needs_a_rate() -> None:
    result = CliRunner().invoke(app, ["bench", "collector", "--open-loop-only"])
    assert result.exit_code == 2
    assert "--rate" in result.output


@pytest.mark.parametrize("argv", [["--rate", "0"], ["--seconds", "-1"], ["--bogus", "1"]])
def test_the_generator_refuses_nonsense(generator: Path, argv: list[str]) -> None:
    defaults = {"--port": "1", "--request-file": "/dev/null", "--latency-file": "/dev/null", "--rate": "10",
                "--seconds": "1"}  # fmt: skip
    defaults.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    argv = [str(generator), *[item for pair in defaults.items() for item in pair]]
    done = subprocess.run(argv, capture_output=True, check=False)
    assert done.returncode == 2
    assert b"usage" in done.stderr


def test_machine_busy_time_counts_every_busy_state_but_idle_and_iowait(tmp_path: Path) -> None:
    import os

    from eventyard.collector.bench.tail import machine_busy_seconds

    stat = tmp_path / "stat"
    # cpu user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 20 30 5000 400 5 6 7 50 0\ncpu0 50 10 15 2500 200 2 3 3 25 0\n")
    assert machine_busy_seconds(stat) == pytest.approx((100 + 20 + 30 + 5 + 6 + 7) / os.sysconf("SC_CLK_TCK"))
    assert machine_busy_seconds(tmp_path / "missing") == 0.0


def test_machine_busy_time_grows_while_a_process_burns_cpu() -> None:
    import time

    from eventyard.collector.bench.tail import machine_busy_seconds

    before = machine_busy_seconds()
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    assert machine_busy_seconds() - before >= 0.25

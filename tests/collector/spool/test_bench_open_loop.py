"""The open-loop generator of ``eventyard bench collector``: constant rate, latency from the intended time."""

from __future__ import annotations

import asyncio
import time

import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.bench.openloop import OpenLoop, build_request
from eventyard.collector.bench.tail import fsync_histogram

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n" + b'{"success":true}'


async def _server(stall_at: int | None, stall_s: float) -> tuple[asyncio.Server, list[float]]:
    """A keep-alive HTTP server answering at once, except request number ``stall_at``."""
    arrivals: list[float] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            arrivals.append(time.perf_counter())
            if len(arrivals) == stall_at:
                await asyncio.sleep(stall_s)
            writer.write(RESPONSE)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, arrivals


async def _run(stall_at: int | None, stall_s: float = 0.0) -> dict[str, float]:
    server, _ = await _server(stall_at, stall_s)
    port = server.sockets[0].getsockname()[1]
    gen = OpenLoop("127.0.0.1", port, build_request("127.0.0.1", port, "/v1/t", b"{}", "a2V5Og=="), 200, 1)
    async with server:
        await gen.run(seconds=1.5, warmup=0.1)
    return gen.summary()


async def test_a_steady_server_is_sent_the_rate_asked_for() -> None:
    summary = await _run(stall_at=None)
    assert summary["errors"] == 0
    assert 270 <= summary["completed"] <= 330  # 200 req/s for 1.5 s, all of them recorded
    assert sum(count for _, count in summary["histogram_ms"]) == summary["completed"]


async def test_a_stall_is_charged_to_every_request_that_waited_behind_it() -> None:
    # One connection: a closed-loop client would send nothing during the 300 ms stall and
    # record one slow sample; here the ~60 requests due meanwhile all wait and are charged.
    summary = await _run(stall_at=100, stall_s=0.3)
    assert 270 <= summary["completed"] <= 330, "requests due during the stall are not omitted"
    assert summary["max_ms"] >= 250
    assert summary["p99_ms"] >= 100, "the queue behind the stall shows in the tail"
    assert summary["max_backlog"] >= 20


def test_fsync_histogram_is_the_difference_of_cumulative_buckets() -> None:
    before = {"0.001": 5.0, "0.01": 8.0, "+Inf": 9.0}
    after = {"0.001": 15.0, "0.01": 20.0, "+Inf": 22.0}
    assert fsync_histogram(before, after) == [[1.0, 10], [10.0, 2], [None, 1]]


def test_open_loop_only_needs_a_rate() -> None:
    result = CliRunner().invoke(app, ["bench", "collector", "--open-loop-only"])
    assert result.exit_code == 2
    assert "--rate" in result.output


@pytest.mark.parametrize("argv", [["--rate", "0"], ["--seconds", "-1"]])
def test_the_generator_refuses_nonsense(argv: list[str]) -> None:
    from eventyard.collector.bench.openloop import main

    base = ["--port", "1", "--path", "/v1/t", "--body-file", "/dev/null", "--auth", "x"]
    defaults = {"--rate": "10", "--seconds": "1"}
    defaults.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    with pytest.raises(SystemExit) as exited:
        main(base + [item for pair in defaults.items() for item in pair])
    assert exited.value.code == 2

"""An open-loop, constant-rate HTTP load generator (wrk2's idea, in one Python process).

wrk (closed loop) sends a connection's next request only after the previous answer, so a
server that stalls for 40 ms is simply sent fewer requests during the stall and the stall
hides in a handful of samples ("coordinated omission"). Here request *i* is due at
``t0 + i / rate`` whatever happened before; its latency is measured from that intended time,
so a request that waited for a free connection behind a stall is charged the wait.

Run as ``python -m eventyard.collector.bench.openloop`` (the harness does): a separate process
with the garbage collector off and uvloop, over keep-alive HTTP/1.1 connections on loopback.
It prints one JSON line: counts, percentiles and the latency histogram. Its own scheduling
costs up to about a millisecond (timer granularity); the echo app driven at the same rate in
the same run shows that floor.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import sys
import time
from array import array
from typing import Any

import orjson

# Wake the scheduler this often at most; requests due meanwhile go out together on wake-up.
TICK_S = 0.0005


class _Conn(asyncio.Protocol):
    """One keep-alive connection: one request in flight at a time, response parsed by length."""

    def __init__(self, gen: OpenLoop) -> None:
        self.gen = gen
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses
        self.buf = bytearray()
        self.intended = 0.0
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def send(self, intended: float) -> None:
        self.intended, self.busy = intended, True
        self.transport.write(self.gen.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self.buf[:head_end]).lower()
            at = head.find(b"content-length:")
            if at < 0:
                raise RuntimeError("response without content-length: " + head[:200].decode(errors="replace"))
            length = int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
            end = head_end + 4 + length
            if len(self.buf) < end:
                return
            status = int(head[9:12])
            del self.buf[:end]
            self.busy = False
            self.gen.completed(self, status, self.intended)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.lost(self)


class OpenLoop:
    """Schedules requests at a fixed rate over a pool of connections and records latencies."""

    def __init__(self, host: str, port: int, request: bytes, rate: float, connections: int) -> None:
        self.host, self.port, self.request = host, port, request
        self.rate, self.connections = rate, connections
        self.idle: collections.deque[_Conn] = collections.deque()
        self.backlog: collections.deque[float] = collections.deque()
        self.record_from = 0.0
        self.record_until = 0.0
        self.latencies = array("d")
        self.errors = 0
        self.lost_connections = 0
        self.sent = 0
        self.max_backlog = 0

    def completed(self, conn: _Conn, status: int, intended: float) -> None:
        now = time.perf_counter()
        if self.record_from <= intended < self.record_until:
            if status == 200:
                self.latencies.append(now - intended)
            else:
                self.errors += 1
        if self.backlog:
            conn.send(self.backlog.popleft())
        else:
            self.idle.append(conn)

    def lost(self, conn: _Conn) -> None:
        self.lost_connections += 1
        if conn.busy and self.record_from <= conn.intended < self.record_until:
            self.errors += 1
        if conn in self.idle:
            self.idle.remove(conn)

    async def run(self, seconds: float, warmup: float) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self.connections):
            _, conn = await loop.create_connection(lambda: _Conn(self), self.host, self.port)
            self.idle.append(conn)
        t0 = time.perf_counter() + 0.05
        self.record_from = t0 + warmup
        self.record_until = self.record_from + seconds
        interval = 1.0 / self.rate
        i = 0
        while True:
            now = time.perf_counter()
            due = t0 + i * interval
            if due >= self.record_until:
                break
            while due <= now:
                if self.idle:
                    self.idle.popleft().send(due)
                else:
                    self.backlog.append(due)
                    self.max_backlog = max(self.max_backlog, len(self.backlog))
                self.sent += 1
                i += 1
                due = t0 + i * interval
            await asyncio.sleep(min(TICK_S, max(0.0, due - time.perf_counter())))
        # Let the requests of the window finish (a stalled server is charged the full wait).
        deadline = time.perf_counter() + 30
        while (self.backlog or len(self.idle) < self.connections - self.lost_connections) and (
            time.perf_counter() < deadline
        ):
            await asyncio.sleep(0.01)

    def summary(self) -> dict[str, Any]:
        values = sorted(self.latencies)
        n = len(values)

        def pct(p: float) -> float:
            return values[min(n - 1, int(p / 100 * n))] * 1000 if n else 0.0

        # Log-spaced buckets (ms upper bounds) for the latency histogram.
        bounds = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1000, float("inf")]
        hist = [0] * len(bounds)
        b = 0
        for v in values:
            ms = v * 1000
            while ms > bounds[b]:
                b += 1
            hist[b] += 1
        return {
            "rate": self.rate,
            "seconds": self.record_until - self.record_from,
            "completed": n,
            "errors": self.errors,
            "requests_per_s": n / (self.record_until - self.record_from) if n else 0.0,
            "p50_ms": pct(50),
            "p99_ms": pct(99),
            "p999_ms": pct(99.9),
            "max_ms": values[-1] * 1000 if n else 0.0,
            "max_backlog": self.max_backlog,
            "histogram_ms": [
                [bound if bound != float("inf") else None, count]
                for bound, count in zip(bounds, hist, strict=True)
            ],
        }


def build_request(host: str, port: int, path: str, body: bytes, auth: str) -> bytes:
    """The raw keep-alive POST every connection sends."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def main(argv: list[str] | None = None) -> None:
    """CLI for the harness: print one JSON summary line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--auth", required=True, help="base64 of user:password")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.connections <= 0:
        parser.error("--rate, --seconds and --connections must be positive")
    with open(args.body_file, "rb") as fh:
        body = fh.read()
    host = "127.0.0.1"
    gen = OpenLoop(
        host,
        args.port,
        build_request(host, args.port, args.path, body, args.auth),
        args.rate,
        args.connections,
    )
    gc.disable()  # a collection pause here would be charged to the server
    try:
        import uvloop

        uvloop.run(gen.run(args.seconds, args.warmup))
    except ImportError:  # pragma: no cover - uvloop is a pinned dependency
        asyncio.run(gen.run(args.seconds, args.warmup))
    sys.stdout.write(orjson.dumps(gen.summary()).decode() + "\n")


if __name__ == "__main__":
    main()

"""An open-loop, constant-rate HTTP load generator (wrk2's idea), and the summary of its run.

wrk (closed loop) sends a connection's next request only after the previous answer, so a
server that stalls for 40 ms is simply sent fewer requests during the stall and the stall
hides in a handful of samples ("coordinated omission"). Here request *i* is due at
``t0 + i / rate`` whatever happened before; its latency is measured from that intended time,
so a request that waited for a free connection behind a stall is charged the wait.

The generator itself is ``openloop.c`` (Debian packages neither wrk2 nor vegeta), built on
demand with the system C compiler: it shares the machine's cores with the server it measures,
and the asyncio generator it replaced took 50-60 us of CPU per request — as much as a collector
worker, and 0.5 of a core at 8,500 req/s (decision 0033). It reports its own CPU time, so its
cost is printed next to the figures; the echo app driven at the same rate in the same run
shows the floor of generator plus HTTP server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from array import array
from pathlib import Path
from typing import Any

import orjson

SOURCE = Path(__file__).with_name("openloop.c")
COMPILER_MISSING = (
    "no C compiler found (cc or gcc): the open-loop generator is built from "
    f"{SOURCE.name} on demand. Install one with `apt-get install gcc` (Debian/Ubuntu)."
)
# Log-spaced buckets (ms upper bounds) for the latency histogram.
BOUNDS_MS = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1000, float("inf"))
SLOW_S = 0.010  # the p99 target: requests above it are "slow" in the flush diagnostic


def compiler() -> str:
    """The C compiler to build the generator with (``$CC``, else cc or gcc)."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        path = shutil.which(name) if name else None
        if path:
            return path
    raise RuntimeError(COMPILER_MISSING)


def build(directory: Path) -> Path:
    """Compile the generator into ``directory``; its path."""
    binary = directory / "openloop"
    command = [compiler(), "-O2", "-std=gnu11", "-o", str(binary), str(SOURCE)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"building the open-loop generator failed:\n{done.stderr}")
    return binary


def build_request(host: str, port: int, path: str, body: bytes, auth: str) -> bytes:
    """The raw keep-alive POST every connection sends."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def run(
    binary: Path,
    port: int,
    request: bytes,
    *,
    rate: float,
    seconds: float,
    connections: int,
    directory: Path,
    warmup: float = 2.0,
) -> dict[str, Any]:
    """Hold ``rate`` requests/s on 127.0.0.1:``port`` for ``seconds`` (after ``warmup``); the summary."""
    request_file = directory / f"openloop-{port}.http"
    latency_file = directory / f"openloop-{port}.latencies"
    request_file.write_bytes(request)
    command = [
        str(binary), "--port", str(port), "--request-file", str(request_file), "--rate", f"{rate:.3f}",
        "--seconds", f"{seconds:g}", "--warmup", f"{warmup:g}", "--connections", str(connections),
        "--latency-file", str(latency_file),
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + warmup + 120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"open-loop generator failed:\n{done.stdout}\n{done.stderr}")
    counts: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    latencies = array("d")
    latencies.frombytes(latency_file.read_bytes())
    return summarize(latencies, rate=rate, seconds=seconds, counts=counts)


def summarize(
    latencies: array[float], *, rate: float, seconds: float, counts: dict[str, Any]
) -> dict[str, Any]:
    """Percentiles and histogram of the window's latencies (seconds), with the generator's counts."""
    values = sorted(latencies)
    n = len(values)
    # When (seconds into the window) each slow request completed, approximately: the generator
    # writes latencies in completion order, at a steady rate. The window's diagnostic: do the
    # slow ones come with the landing flushes (``tail.near_flushes``)?
    slow_at = [i / n * seconds for i, v in enumerate(latencies) if v > SLOW_S] if n else []

    def pct(p: float) -> float:
        return values[min(n - 1, int(p / 100 * n))] * 1000 if n else 0.0

    hist = [0] * len(BOUNDS_MS)
    b = 0
    for v in values:
        ms = v * 1000
        while ms > BOUNDS_MS[b]:
            b += 1
        hist[b] += 1
    wall = counts.get("wall_seconds") or 0.0
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": counts["sent"],  # warm-up included
        "completed": n,
        "errors": counts["errors"],
        "lost_connections": counts["lost_connections"],
        "requests_per_s": n / seconds if n else 0.0,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "p999_ms": pct(99.9),
        "max_ms": values[-1] * 1000 if n else 0.0,
        "max_backlog": counts["max_backlog"],
        "slow_at_s": slow_at,
        # The generator's own CPU over its run, as a share of one core (it competes with the server).
        "generator_cpu": round(counts["cpu_seconds"] / wall, 3) if wall else 0.0,
        "histogram_ms": [
            [bound if bound != float("inf") else None, count]
            for bound, count in zip(BOUNDS_MS, hist, strict=True)
        ],
    }

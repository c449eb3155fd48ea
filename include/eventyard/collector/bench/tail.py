"""The open-loop tail-latency scenario of ``eventyard bench collector``.

A constant request rate held for a long window (60 s by default, so several landing flushes
fall inside it), latency measured from each request's intended send time
(``bench/openloop.py``), against the collector and then the echo app at the same rate. Next to
the percentiles it reports the CPU each side spent (server workers in us per request and each
worker's CPU seconds, landing children and the generator as shares of a core), how many
landing flushes happened in the window (manifest rows created then), the collector's fsync
and garbage-collection pause histograms over the window (from its ``/metrics``) and the load
average, since other processes on the machine move every figure.
"""

from __future__ import annotations

import base64
import bisect
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from eventyard.collector.bench import openloop

FSYNC_METRIC = "eventyard_collector_fsync_seconds_bucket"
GC_METRIC = "eventyard_collector_gc_seconds_bucket"
NEAR_FLUSH_S = 0.5  # a slow request this close to a flush (its manifest row) counts as near it


def drive(
    generator: Path,
    port: int,
    path: str,
    body: bytes,
    write_key: str,
    *,
    rate: float,
    seconds: float,
    warmup: float,
    connections: int,
    tmp: Path,
) -> dict[str, Any]:
    """Run the open-loop generator (``openloop.c``) against one app and return its summary."""
    auth = base64.b64encode(f"{write_key}:".encode()).decode()
    request = openloop.build_request("127.0.0.1", port, path, body, auth)
    return openloop.run(
        generator, port, request, rate=rate, seconds=seconds, connections=connections, directory=tmp,
        warmup=warmup,
    )  # fmt: skip


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of a uvicorn server's workers (its children) and their landing children."""
    workers = _children(pid)
    landers = [child for worker in workers for child in _children(worker)]
    return {
        "workers": sum(_cpu_seconds(p) for p in workers),
        "landing": sum(_cpu_seconds(p) for p in landers),
    }


def machine_busy_seconds(stat: Path = Path("/proc/stat")) -> float:
    """CPU seconds every CPU of the machine has spent busy so far (user, nice, system, IRQs, steal).

    Set against what the bench's own processes used, this shows how much other processes took
    in a window: on two cores, a short-lived process that needs a core for a second shows in
    the collector's tail (decision 0038: RabbitMQ starts a fresh Erlang VM every minute or two).
    """
    try:
        fields = stat.read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return 0.0
    # cpu user nice system idle iowait irq softirq steal [guest guest_nice: already in user]
    busy = [int(fields[i]) for i in (1, 2, 3, 6, 7, 8) if i < len(fields)]
    return sum(busy) / os.sysconf("SC_CLK_TCK")


def worker_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of each worker (child) of a server, by pid."""
    return {worker: _cpu_seconds(worker) for worker in _children(pid)}


def histogram_buckets(url: str, metric: str = FSYNC_METRIC) -> dict[str, float]:
    """Cumulative buckets (le -> count, summed over labels) of a histogram in ``/metrics``."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    buckets: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(metric + "{"):
            labels, value = line.rsplit(" ", 1)
            le = labels.split('le="', 1)[1].split('"', 1)[0]
            buckets[le] = buckets.get(le, 0.0) + float(value)
    return buckets


def histogram_delta(before: dict[str, float], after: dict[str, float]) -> list[list[Any]]:
    """Per-bucket counts (not cumulative) over the window: [[upper bound ms, count], ...]."""
    rows: list[list[Any]] = []
    previous = 0.0
    for le in sorted(after, key=lambda k: float("inf") if k == "+Inf" else float(k)):
        cumulative = after[le] - before.get(le, 0.0)
        bound = None if le == "+Inf" else round(float(le) * 1000, 3)
        rows.append([bound, int(cumulative - previous)])
        previous = cumulative
    return rows


def flushes_between(database_url: str, start: datetime, end: datetime) -> list[float]:
    """Landing flushes in a window, as seconds after ``start``: manifest rows created then (one
    per segment and source-hour)."""
    from sqlalchemy import select

    from eventyard.db.engine import make_engine
    from eventyard.db.models import Batch

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(Batch.created_at).where(Batch.created_at >= start, Batch.created_at <= end)
            created = [row[0] for row in conn.execute(query)]
    finally:
        engine.dispose()
    return sorted((at.replace(tzinfo=at.tzinfo or UTC) - start).total_seconds() for at in created)


def near_flushes(slow_at: list[float], flushes: list[float], within: float = NEAR_FLUSH_S) -> int:
    """How many slow requests completed within ``within`` seconds of a landing flush.

    Decision 0037 found the tail this way: nearly all requests over 10 ms came with flushes.
    """
    if not flushes:
        return 0
    ordered = sorted(flushes)
    near = 0
    for at in slow_at:
        i = bisect.bisect_left(ordered, at)
        neighbours = ordered[max(0, i - 1) : i + 1]
        near += any(abs(at - f) <= within for f in neighbours)
    return near


def run_window(
    app_name: str, url: str, server_pid: int, port: int, body: bytes, write_key: str, *, generator: Path,
    rate: float, seconds: float, warmup: float, connections: int, tmp: Path, database_url: str | None,
) -> dict[str, Any]:  # fmt: skip
    """One app at one constant rate: percentiles, CPU per request, flushes and fsyncs, load average.

    The server's histograms and the flush count cover the window only (sampled when the
    warm-up ends, from a timer thread); CPU covers the generator's whole run.
    """
    load_before = os.getloadavg()[0]
    collector = app_name == "collector"
    at_window: dict[str, Any] = {}

    def window_starts() -> None:
        at_window["start"] = datetime.now(UTC)
        if collector:
            at_window["fsync"] = histogram_buckets(url)
            at_window["gc"] = histogram_buckets(url, GC_METRIC)

    timer = threading.Timer(warmup + 0.05, window_starts)
    cpu_before, wall_before = server_cpu(server_pid), time.monotonic()
    busy_before = machine_busy_seconds()
    per_worker_before = worker_cpu(server_pid)
    timer.start()
    try:
        summary = drive(
            generator, port, "/v1/t", body, write_key, rate=rate, seconds=seconds, warmup=warmup,
            connections=connections, tmp=tmp,
        )  # fmt: skip
    finally:
        timer.cancel()
        timer.join()
    cpu_after, wall = server_cpu(server_pid), time.monotonic() - wall_before
    busy = machine_busy_seconds() - busy_before
    per_worker_after = worker_cpu(server_pid)
    end = datetime.now(UTC)
    # Over the generator's whole run (warm-up and drain included): CPU per request sent.
    sent = max(1, summary["sent"])
    summary["worker_cpu_us_per_request"] = round(
        (cpu_after["workers"] - cpu_before["workers"]) / sent * 1e6, 1
    )
    # How evenly the kernel spread the connections: each worker's CPU seconds over the run
    # (a worker restarted during it is left out).
    summary["worker_cpu_seconds"] = sorted(
        (
            round(after - per_worker_before[pid], 1)
            for pid, after in per_worker_after.items()
            if pid in per_worker_before
        ),
        reverse=True,
    )
    summary["landing_cpu"] = round((cpu_after["landing"] - cpu_before["landing"]) / wall, 3)
    # Everything else the machine ran meanwhile (the kernel's own work for us included: softirqs
    # of the loopback traffic, block I/O), as a share of one core.
    ours = (cpu_after["workers"] - cpu_before["workers"]) + (cpu_after["landing"] - cpu_before["landing"])
    others = busy - ours - summary["generator_cpu"] * wall
    summary["other_cpu"] = round(max(0.0, others) / wall, 3)
    if collector:
        time.sleep(0.5)  # let the last flush's manifest insert commit
        summary["fsync_histogram_ms"] = histogram_delta(at_window["fsync"], histogram_buckets(url))
        summary["gc_histogram_ms"] = histogram_delta(at_window["gc"], histogram_buckets(url, GC_METRIC))
        if database_url:
            flushes = flushes_between(database_url, at_window["start"], end)
            summary["flushes_in_window"] = len(flushes)
            summary["slow_near_flushes"] = near_flushes(summary["slow_at_s"], flushes)
    summary["slow_requests"] = len(summary.pop("slow_at_s"))
    summary["load_average_before"] = round(load_before, 2)
    summary["load_average_after"] = round(os.getloadavg()[0], 2)
    return summary

"""The open-loop tail-latency scenario of ``eventyard bench collector``.

A constant request rate held for a long window (60 s by default, so several landing flushes
fall inside it), latency measured from each request's intended send time
(``bench/openloop.py``), against the collector and then the echo app at the same rate. Next to
the percentiles it reports how many landing flushes happened in the window (manifest rows
created then), the collector's fsync latency histogram over the window (from its
``/metrics``) and the load average, since other processes on the machine move every figure.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

FSYNC_METRIC = "eventyard_collector_fsync_seconds_bucket"


def drive(
    port: int,
    path: str,
    body: bytes,
    write_key: str,
    *,
    rate: float,
    seconds: float,
    connections: int,
    tmp: Path,
) -> dict[str, Any]:
    """Run the open-loop generator in its own process and return its JSON summary."""
    body_file = tmp / f"openloop-{path.strip('/').replace('/', '-')}.json"
    body_file.write_bytes(body)
    auth = base64.b64encode(f"{write_key}:".encode()).decode()
    command = [
        sys.executable, "-m", "eventyard.collector.bench.openloop", "--port", str(port), "--path", path,
        "--body-file", str(body_file), "--auth", auth, "--rate", f"{rate:.3f}",
        "--seconds", f"{seconds:g}", "--connections", str(connections),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"open-loop generator failed:\n{done.stdout}\n{done.stderr}")
    summary: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return summary


def fsync_buckets(url: str) -> dict[str, float]:
    """Cumulative fsync histogram buckets (le -> count) from a collector's ``/metrics``."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    buckets: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(FSYNC_METRIC + "{"):
            labels, value = line.rsplit(" ", 1)
            le = labels.split('le="', 1)[1].split('"', 1)[0]
            buckets[le] = buckets.get(le, 0.0) + float(value)
    return buckets


def fsync_histogram(before: dict[str, float], after: dict[str, float]) -> list[list[Any]]:
    """Per-bucket fsync counts (not cumulative) over the window: [[upper bound ms, count], ...]."""
    rows: list[list[Any]] = []
    previous = 0.0
    for le in sorted(after, key=lambda k: float("inf") if k == "+Inf" else float(k)):
        cumulative = after[le] - before.get(le, 0.0)
        bound = None if le == "+Inf" else round(float(le) * 1000, 3)
        rows.append([bound, int(cumulative - previous)])
        previous = cumulative
    return rows


def flushes_between(database_url: str, start: datetime, end: datetime) -> int:
    """Landing flushes in a window: manifest rows created then (one per segment and source-hour)."""
    from sqlalchemy import func, select

    from eventyard.db.engine import make_engine
    from eventyard.db.models import Batch

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(Batch.created_at >= start, Batch.created_at <= end)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def run_window(
    app_name: str, url: str, port: int, body: bytes, write_key: str, *, rate: float, seconds: float,
    connections: int, tmp: Path, database_url: str | None,
) -> dict[str, Any]:  # fmt: skip
    """One app at one constant rate: percentiles, flushes and fsyncs in the window, load average."""
    load_before = os.getloadavg()[0]
    before = fsync_buckets(url) if app_name == "collector" else {}
    start = datetime.now(UTC)
    summary = drive(
        port, "/v1/t", body, write_key, rate=rate, seconds=seconds, connections=connections, tmp=tmp
    )
    end = datetime.now(UTC)
    if app_name == "collector":
        time.sleep(0.5)  # let the last flush's manifest insert commit
        summary["fsync_histogram_ms"] = fsync_histogram(before, fsync_buckets(url))
        if database_url:
            summary["flushes_in_window"] = flushes_between(database_url, start, end)
    summary["load_average_before"] = round(load_before, 2)
    summary["load_average_after"] = round(os.getloadavg()[0], 2)
    return summary

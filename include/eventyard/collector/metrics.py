"""Prometheus metrics of the collector.

With one worker the default registry is served as is. With several (``eventyard collector
--workers N``) the CLI sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start, every
worker writes its samples to memory-mapped files there, and ``/metrics`` on any worker
aggregates all of them (prometheus-client's multiprocess mode): counters are summed, the
spool gauges summed over live workers and the flush lag is the maximum over live workers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

EVENTS_ACCEPTED = Counter("eventyard_collector_events_accepted", "Events accepted and spooled durably.")
EVENTS_REJECTED = Counter(
    "eventyard_collector_events_rejected", "Events rejected (spooled with their reason).", ["reason"]
)
REQUESTS_FAILED = Counter(
    "eventyard_collector_requests_failed", "Requests refused as a whole, by error code.", ["code"]
)
SPOOL_BYTES = Gauge(
    "eventyard_collector_spool_bytes", "Bytes waiting in spool segments.", multiprocess_mode="livesum"
)
SPOOL_SEGMENTS = Gauge(
    "eventyard_collector_spool_segments", "Spool segments not yet landed.", multiprocess_mode="livesum"
)
FLUSH_LAG = Gauge(
    "eventyard_collector_flush_lag_seconds",
    "Age of the oldest spool segment not yet landed.",
    multiprocess_mode="livemax",
)
UPLOAD_FAILURES = Gauge(
    "eventyard_collector_upload_failures",
    "Failed landing uploads since the worker started (retried with backoff).",
    multiprocess_mode="livesum",
)
SPOOL_HEALTHY = Gauge(
    "eventyard_collector_spool_healthy", "1 when every worker's spool can write.", multiprocess_mode="livemin"
)

# One group commit's write + fdatasync, observed in the spool's I/O thread: the disk's share
# of a request's latency (``eventyard bench collector`` prints it over its open-loop window).
FSYNC_SECONDS = Histogram(
    "eventyard_collector_fsync_seconds",
    "Duration of one spool group commit (write + fdatasync).",
    buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.5),
)

# One garbage collection in a worker (``app.watch_garbage_collector``), by generation: a
# collection stops the event loop, so its pauses are part of the request latency tail.
GC_SECONDS = Histogram(
    "eventyard_collector_gc_seconds",
    "Duration of one garbage collection in a collector worker, by generation.",
    ["generation"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5),
)


def update_spool_gauges(stats: dict[str, float], healthy: bool) -> None:
    """Copy a spool's ``stats()`` into the gauges."""
    SPOOL_BYTES.set(stats.get("spool_bytes", 0.0))
    SPOOL_SEGMENTS.set(stats.get("segments", 0.0))
    FLUSH_LAG.set(stats.get("oldest_segment_age_s", 0.0))
    UPLOAD_FAILURES.set(stats.get("upload_failures", 0.0))
    SPOOL_HEALTHY.set(1.0 if healthy else 0.0)


def forget_this_process() -> None:
    """On worker shutdown: drop this process's live gauges from the multiprocess aggregate."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def render() -> tuple[bytes, str]:
    """The exposition text and its content type (aggregated over workers in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

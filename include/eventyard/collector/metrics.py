"""Prometheus metrics of the collector.

With one worker the default registry is served as is. With several (``eventyard collector
--workers N``) the CLI sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start, every
worker writes its samples to memory-mapped files there, and ``/metrics`` on any worker
aggregates all of them (prometheus-client's multiprocess mode): counters are summed, the
spool gauges summed over live workers and the flush lag is the maximum over live workers.
"""

from __future__ import annotations

import bisect
import math
import os
import threading

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

# One group commit's write + fdatasync (``observe_fsync``, from the event loop for plain groups
# and the spool's I/O thread for the rest): the disk's share of a request's latency
# (``eventyard bench collector`` prints it over its open-loop window).
FSYNC_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.5)
FSYNC_SECONDS = Histogram(
    "eventyard_collector_fsync_seconds",
    "Duration of one spool group commit (write + fdatasync).",
    buckets=FSYNC_BUCKETS,
)

# One garbage collection in a worker (``app.watch_garbage_collector``), by generation: a
# collection stops the event loop, so its pauses are part of the request latency tail.
GC_SECONDS = Histogram(
    "eventyard_collector_gc_seconds",
    "Duration of one garbage collection in a collector worker, by generation.",
    ["generation"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5),
)


# How often a worker adds the request path's pending counts to the shared metrics.
PUBLISH_INTERVAL_S = 0.5
_FSYNC_BOUNDS = (*FSYNC_BUCKETS, math.inf)  # prometheus-client adds the +Inf bucket


class _PendingCounts:
    """The request path's counts, kept in plain numbers and added to the metrics in bulk.

    With several workers (multiprocess mode) every ``inc`` or ``observe`` of prometheus-client
    takes a lock and writes a memory-mapped file: the accepted-events counter and the fsync
    histogram cost 6-8 us of the 30-40 us of Python a ``/v1/t`` request runs (decision 0043).
    Here a request adds to a number; the worker publishes every ``PUBLISH_INTERVAL_S`` and
    before each scrape it serves, so a scrape may miss at most that much of another worker's
    last moments. Requests run on the event loop and big group commits on the spool's I/O
    thread, hence the lock (uncontended: a fraction of a microsecond).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted = 0
        self.fsync_buckets = [0] * len(_FSYNC_BOUNDS)
        self.fsync_sum = 0.0

    def count_accepted(self, events: int) -> None:
        with self._lock:
            self.accepted += events

    def observe_fsync(self, seconds: float) -> None:
        with self._lock:
            self.fsync_buckets[bisect.bisect_left(_FSYNC_BOUNDS, seconds)] += 1
            self.fsync_sum += seconds

    def publish(self) -> None:
        with self._lock:
            accepted, buckets, total = self.accepted, self.fsync_buckets, self.fsync_sum
            self.accepted, self.fsync_buckets, self.fsync_sum = 0, [0] * len(_FSYNC_BOUNDS), 0.0
        if accepted:
            EVENTS_ACCEPTED.inc(accepted)
        if any(buckets):
            # What ``Histogram.observe`` does per observation (sum, then the one bucket the value
            # falls in), once per bucket; tests check the result against ``observe`` itself.
            FSYNC_SECONDS._sum.inc(total)
            for value, count in zip(FSYNC_SECONDS._buckets, buckets, strict=True):
                if count:
                    value.inc(count)


_pending = _PendingCounts()
count_accepted = _pending.count_accepted
observe_fsync = _pending.observe_fsync
publish_pending = _pending.publish


def update_spool_gauges(stats: dict[str, float], healthy: bool) -> None:
    """Copy a spool's ``stats()`` into the gauges."""
    SPOOL_BYTES.set(stats.get("spool_bytes", 0.0))
    SPOOL_SEGMENTS.set(stats.get("segments", 0.0))
    FLUSH_LAG.set(stats.get("oldest_segment_age_s", 0.0))
    UPLOAD_FAILURES.set(stats.get("upload_failures", 0.0))
    SPOOL_HEALTHY.set(1.0 if healthy else 0.0)


def forget_this_process() -> None:
    """On worker shutdown: publish what is pending, drop this process's live gauges."""
    publish_pending()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def render() -> tuple[bytes, str]:
    """The exposition text and its content type (aggregated over workers in multiprocess mode)."""
    publish_pending()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

"""Garbage-collection pauses of a worker are timed into ``eventyard_collector_gc_seconds``."""

from __future__ import annotations

import gc

from eventyard.collector import metrics
from eventyard.collector.app import _GcTimer, watch_garbage_collector


def _count(generation: str) -> float:
    for family in metrics.GC_SECONDS.collect():
        for sample in family.samples:
            if sample.name.endswith("_count") and sample.labels["generation"] == generation:
                return sample.value
    return 0.0


def test_each_collection_is_observed_once_by_generation() -> None:
    before = list(gc.callbacks)
    try:
        watch_garbage_collector()
        watch_garbage_collector()  # idempotent: one timer per process
        assert sum(isinstance(c, _GcTimer) for c in gc.callbacks) == 1
        full, young = _count("2"), _count("0")
        gc.collect()
        gc.collect(0)
        assert _count("2") == full + 1
        assert _count("0") >= young + 1
    finally:
        gc.callbacks[:] = before

"""The request path's metrics: counted in plain numbers, published in bulk, same totals."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry, Histogram

from eventyard.collector import metrics


def _samples(histogram: Histogram) -> dict[tuple[str, str], float]:
    return {
        (sample.name, sample.labels.get("le", "")): sample.value
        for family in histogram.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def test_published_fsync_counts_equal_one_observe_per_group_commit() -> None:
    """Bucket by bucket, including the bounds themselves and values past the last bucket."""
    values = [*metrics.FSYNC_BUCKETS, 0.0, 0.7, 3.0]
    rng = random.Random(43)
    values += [rng.uniform(0, 0.6) for _ in range(500)]
    reference = Histogram(
        "reference_fsync_seconds", "same buckets", buckets=metrics.FSYNC_BUCKETS, registry=CollectorRegistry()
    )
    metrics.publish_pending()  # what earlier tests in this process left pending
    before = _samples(metrics.FSYNC_SECONDS)
    for value in values:
        reference.observe(value)
        metrics.observe_fsync(value)
    assert _samples(metrics.FSYNC_SECONDS) == before, "nothing reaches the shared metric before publishing"
    metrics.publish_pending()
    after = _samples(metrics.FSYNC_SECONDS)
    expected = _samples(reference)
    for (name, le), value in expected.items():
        ours = name.replace("reference_fsync_seconds", "eventyard_collector_fsync_seconds")
        assert after[(ours, le)] - before.get((ours, le), 0.0) == pytest.approx(value), (name, le)


def test_accepted_events_reach_the_counter_when_published_and_at_each_scrape() -> None:
    metrics.publish_pending()  # what earlier tests in this process left pending
    start = metrics.EVENTS_ACCEPTED._value.get()
    metrics.count_accepted(3)
    metrics.count_accepted(4)
    assert metrics.EVENTS_ACCEPTED._value.get() == start
    body, _ = metrics.render()  # a scrape publishes first
    assert metrics.EVENTS_ACCEPTED._value.get() == start + 7
    assert b"eventyard_collector_events_accepted_total" in body
    metrics.publish_pending()
    assert metrics.EVENTS_ACCEPTED._value.get() == start + 7, "published once, not twice"

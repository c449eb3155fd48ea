"""The collector's per-event work in one process, against a ceiling measured in the same run.

What a worker does to every event of a ``/v1/batch`` body between reading it and writing it:
parse, resolve the key, enrich, validate, serialize the spool record, frame it
(``batch_records`` plus ``segment.frame_many``). The ceiling is the least any collector must do
with the same body: ``orjson.loads`` of it and one ``orjson.dumps`` per event. The ratio of the
two is what hand-tuning moves, and it does not move with the host's speed, which on a shared
VM drifts by half within an hour (decision 0041); the wall-clock figures do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.collector import segment
from eventyard.collector.bench.harness import track_event
from eventyard.collector.enrich import received_now
from eventyard.collector.intake import Arrival, batch_records
from eventyard.collector.parsing import parse_json
from eventyard.collector.writekeys import SourceKey

EVENTS_PER_BODY = 50
_SOURCE = SourceKey("bench-source", "ok")


class _OneKey:
    """A write-key cache that knows one enabled source (the control DB is not measured here)."""

    def cached(self, key: str) -> SourceKey:
        return _SOURCE

    async def resolve(self, key: str) -> SourceKey:
        return _SOURCE


def _page(i: int) -> dict[str, Any]:
    """An analytics.js page event: its own messageId, both client clocks, a full context."""
    page = {"path": "/pricing", "url": "https://example.com/pricing", "title": "Pricing", "referrer": ""}
    return {
        "type": "page",
        "name": "Pricing",
        "properties": dict(page),
        "anonymousId": f"5a7e1c3b-1111-2222-3333-{i:012d}",
        "messageId": f"ajs-next-1704067200000-{i:08d}",
        "context": {
            "library": {"name": "analytics.js", "version": "npm:next-1.70.0"},
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
            "locale": "en-US",
            "page": page,
        },
        "timestamp": f"2024-01-01T00:00:{i % 60:02d}.{i * 7 % 1000:03d}Z",
        "sentAt": "2024-01-01T00:01:00.456Z",
        "integrations": {},
    }


BODIES: dict[str, Callable[[int], dict[str, Any]]] = {
    "track (bench)": track_event,
    "page (analytics.js)": _page,
}


@dataclass
class IntakeResult:
    """Per event: the pipeline, the ceiling, and how many times the ceiling the pipeline costs."""

    events: str
    pipeline_us: float
    ceiling_us: float

    @property
    def ratio(self) -> float:
        return self.pipeline_us / self.ceiling_us

    def as_dict(self) -> dict[str, Any]:
        """Rounded figures for JSON output."""
        return {
            "events": self.events,
            "pipeline_us_per_event": round(self.pipeline_us, 3),
            "ceiling_us_per_event": round(self.ceiling_us, 3),
            "ratio": round(self.ratio, 2),
        }


def body_of(make: Callable[[int], dict[str, Any]]) -> bytes:
    """A /v1/batch body of ``EVENTS_PER_BODY`` events."""
    return orjson.dumps({"batch": [make(i) for i in range(EVENTS_PER_BODY)]})


async def pipeline(body: bytes) -> bytes:
    """One request's per-event work: the framed spool records the worker would append."""
    arrival = Arrival("bench-source", _OneKey(), received_now(), "server", "127.0.0.1")  # type: ignore[arg-type]
    intake = await batch_records(parse_json(body), body_size=len(body), arrival=arrival)
    if intake.accepted != EVENTS_PER_BODY:
        raise RuntimeError(f"the bench's events were rejected: {intake.rejected[:1]}")
    return segment.frame_many(intake.records)


def ceiling(body: bytes) -> int:
    """The least work: parse the body, serialize each event once."""
    dumps = orjson.dumps
    return sum(len(dumps(item)) for item in orjson.loads(body)["batch"])


def _per_event_us(seconds: float, requests: int) -> float:
    return seconds / (requests * EVENTS_PER_BODY) * 1e6


async def _pipeline_pass(body: bytes, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await pipeline(body)
    return time.perf_counter() - started


def _ceiling_pass(body: bytes, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        ceiling(body)
    return time.perf_counter() - started


def run_intake_bench(*, rounds: int = 7, requests: int = 200) -> list[IntakeResult]:
    """Best of ``rounds`` passes of ``requests`` bodies, per kind of event, pipeline and ceiling."""
    loop = asyncio.new_event_loop()
    try:
        results = []
        for name, make in BODIES.items():
            body = body_of(make)
            loop.run_until_complete(pipeline(body))  # warm caches and the interpreter
            # Alternating passes, best of each: a busy moment of the host hits both alike.
            pipeline_s, ceiling_s = float("inf"), float("inf")
            for _ in range(rounds):
                pipeline_s = min(pipeline_s, loop.run_until_complete(_pipeline_pass(body, requests)))
                ceiling_s = min(ceiling_s, _ceiling_pass(body, requests))
            results.append(
                IntakeResult(name, _per_event_us(pipeline_s, requests), _per_event_us(ceiling_s, requests))
            )
        return results
    finally:
        loop.close()

"""The delivery engine: batches vendor records, sends them with bounded concurrency, and
applies the retry rules (Retry-After, jittered exponential backoff, 413 splitting, partial
retries, drops), so vendor modules only describe their API.

Short waits are retried in-process within a per-cycle budget; anything that would wait longer
comes back as ``RETRY`` with a delay, and the caller persists it for a later cycle.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from eventyard.destinations.base import (
    Classification,
    Integration,
    Outcome,
    SdkIntegration,
    VendorRecord,
)
from eventyard.destinations.http import RateLimiter, describe_transport_error, send_http

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry. ``inline_*`` bound the waiting done inside one delivery cycle."""

    base_delay: float = 1.0
    max_delay: float = 900.0
    inline_budget_seconds: float = 30.0
    inline_max_delay: float = 10.0
    inline_max_attempts: int = 6

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter (half to full of the exponential delay)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


@dataclass
class ItemResult:
    """What became of one message: ``delivered``, ``retry`` (after ``retry_in`` s) or ``dead``."""

    status: str = "delivered"
    error: str = ""
    retry_in: float = 0.0


DELIVERED = ItemResult()  # shared by every delivered item: never mutated


@dataclass(frozen=True)
class Item:
    """One message's vendor records, under a caller-chosen key."""

    key: int
    records: Sequence[VendorRecord]


@dataclass(frozen=True)
class _Ref:
    key: int
    record: VendorRecord


@dataclass
class EngineStats:
    """Counters of one engine run (requests sent, records retried)."""

    requests: int = 0
    retried_records: int = 0
    errors: list[str] = field(default_factory=list)


class DeliveryEngine:
    """Delivers records for one integration; create one per integration per cycle."""

    def __init__(
        self,
        integration: Integration,
        client: httpx.AsyncClient | None,
        *,
        concurrency: int,
        policy: RetryPolicy,
        inline_deadline: float | None = None,
    ) -> None:
        """``inline_deadline`` (a ``time.monotonic()`` value) bounds in-process waiting across
        several ``deliver`` calls of one cycle; by default each call gets the policy's budget."""
        self.integration = integration
        self.inline_deadline = inline_deadline
        self.client = client
        self.policy = policy
        self.stats = EngineStats()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._limiter = RateLimiter(integration.max_requests_per_second)
        self._deadline = 0.0
        self._failures: dict[int, ItemResult] = {}  # only items that did not simply succeed

    async def deliver(self, items: Sequence[Item]) -> dict[int, ItemResult]:
        """Send every item's records and return each item's result (by key)."""
        self._deadline = self.inline_deadline or time.monotonic() + self.policy.inline_budget_seconds
        self._failures = {}
        by_route: dict[str, list[_Ref]] = {}
        for item in items:
            for record in item.records:
                by_route.setdefault(record.route, []).append(_Ref(item.key, record))
        chunks = [(route, chunk) for route, refs in by_route.items() for chunk in self._cut(route, refs)]
        await asyncio.gather(*(self._send_chunk(route, chunk, 1) for route, chunk in chunks))
        return {item.key: self._failures.get(item.key, DELIVERED) for item in items}

    def _cut(self, route: str, refs: list[_Ref]) -> list[list[_Ref]]:
        """Cut records into requests by event count and body bytes, whichever comes first."""
        vendor = self.integration
        limit = max(1, vendor.batch_limit(route))
        chunks: list[list[_Ref]] = []
        current: list[_Ref] = []
        size = 0
        for ref in refs:
            record_bytes = vendor.record_size(ref.record)
            if current and (len(current) >= limit or size + record_bytes > vendor.max_batch_bytes):
                chunks.append(current)
                current, size = [], 0
            current.append(ref)
            size += record_bytes
        if current:
            chunks.append(current)
        return chunks

    async def _send_chunk(self, route: str, refs: list[_Ref], attempt: int) -> None:
        async with self._semaphore:
            verdict = await self._attempt(route, [r.record for r in refs])
        outcome = verdict.outcome
        if outcome is Outcome.SUCCESS:
            return
        error = self.integration.redact(verdict.error)
        if outcome is Outcome.PARTIAL:
            failed = [
                (refs[i], self.integration.redact(msg))
                for i, msg in verdict.failed.items()
                if 0 <= i < len(refs)
            ]
            resend = [refs[i] for i in verdict.resend if 0 <= i < len(refs) and i not in verdict.failed]
            if verdict.retry_failed:
                await self._retry(route, [ref for ref, _ in failed], attempt, verdict.retry_after, error)
            else:
                for ref, msg in failed:
                    self._dead(ref, msg or error)
            if resend and failed:
                await self._send_chunk(route, resend, attempt)
            elif resend:  # nothing was at fault yet nothing was taken: a transient refusal
                await self._retry(route, resend, attempt, verdict.retry_after, error)
        elif outcome is Outcome.RETRY:
            await self._retry(route, refs, attempt, verdict.retry_after, error)
        elif outcome is Outcome.SPLIT and len(refs) > 1:
            half = len(refs) // 2
            await asyncio.gather(
                self._send_chunk(route, refs[:half], attempt), self._send_chunk(route, refs[half:], attempt)
            )
        else:  # DROP, or a single record too large to split further
            for ref in refs:
                self._dead(ref, error)

    async def _attempt(self, route: str, records: list[VendorRecord]) -> Classification:
        vendor = self.integration
        await self._limiter.acquire()
        self.stats.requests += 1
        if isinstance(vendor, SdkIntegration):
            try:
                return await vendor.send(route, records)
            except Exception as exc:  # SDK errors not classified by the vendor are transient
                return Classification(Outcome.RETRY, error=f"{type(exc).__name__}: {exc}")
        try:
            request = vendor.build_request(route, records)
        except Exception as exc:  # a vendor bug: park the records where they can be replayed
            log.exception("%s build_request failed", vendor.code)
            return Classification(Outcome.DROP, error=f"cannot build the request: {exc}")
        if self.client is None:
            raise RuntimeError("HTTP vendors need an HTTP client")
        try:
            response = await send_http(self.client, request, vendor.timeout_seconds)
        except httpx.TransportError as exc:
            return Classification(Outcome.RETRY, error=describe_transport_error(exc))
        return vendor.classify(response, records)

    async def _retry(
        self, route: str, refs: list[_Ref], attempt: int, retry_after: float | None, error: str
    ) -> None:
        if not refs:
            return
        self.stats.retried_records += len(refs)
        delay = retry_after if retry_after is not None else self.policy.backoff(attempt)
        fits = time.monotonic() + delay <= self._deadline
        if attempt < self.policy.inline_max_attempts and delay <= self.policy.inline_max_delay and fits:
            await asyncio.sleep(delay)
            await self._send_chunk(route, refs, attempt + 1)
            return
        if retry_after is None:
            delay = max(delay, self.policy.backoff(attempt + 1))
        for ref in refs:
            result = self._failures.setdefault(ref.key, ItemResult())
            if result.status != "dead":
                result.status = "retry"
                result.error = error
                result.retry_in = max(result.retry_in, delay)

    def _dead(self, ref: _Ref, error: str) -> None:
        result = self._failures.setdefault(ref.key, ItemResult())
        result.status = "dead"
        result.error = error or "rejected by the vendor"
        self.stats.errors.append(result.error)

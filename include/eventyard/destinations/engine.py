"""The delivery engine: batches vendor records, sends them with bounded concurrency, and
applies the retry rules (Retry-After, jittered exponential backoff, 413 splitting, partial
retries, drops), so vendor modules only describe their API.

Short waits are retried in-process within a per-cycle budget; anything that would wait longer
comes back as ``RETRY`` with a delay, and the caller persists it for a later cycle.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from eventyard.destinations.base import (
    Classification,
    DependentRequestsIntegration,
    HttpRequest,
    HttpResponse,
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
    """What became of one message: ``delivered``, ``retry`` (after ``retry_in`` s) or ``dead``
    (``reason`` ``vendor_error`` when the vendor module raised instead of answering)."""

    status: str = "delivered"
    error: str = ""
    retry_in: float = 0.0
    reason: str = ""


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


@dataclass(frozen=True)
class VendorBug:
    """A vendor module raised where it should have answered (``classify``, ``build_request``...).

    Not a vendor's answer, so never retried in a loop: its records are dead-lettered (reason
    ``vendor_error``, replayable once the module is fixed) with a summary of the traceback.
    """

    error: str


def vendor_bug(
    vendor: Integration, stage: str, exc: BaseException, *, log_traceback: bool = True
) -> VendorBug:
    """Log the traceback and summarize it: ``braze.classify raised ValueError: ... (braze.py:160)``."""
    if log_traceback:
        log.error("vendor module %s raised in %s", vendor.code, stage, exc_info=exc)
    summary = f"{vendor.code}.{stage} raised {describe_exception(exc)}"
    try:
        return VendorBug(vendor.redact(summary))
    except Exception:  # redact is vendor code too
        return VendorBug(f"{vendor.code}.{stage} raised {type(exc).__name__}")


def describe_exception(exc: BaseException) -> str:
    """``Type: message (file.py:line in function)`` of the innermost frame of the traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = (
        f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno} in {frames[-1].name})"
        if frames
        else ""
    )
    return f"{type(exc).__name__}: {str(exc)[:500]}{where}"


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
        if isinstance(verdict, VendorBug):
            self._vendor_bug(refs, verdict)
            return
        if verdict.outcome is Outcome.SUCCESS:
            return
        try:
            error = self.integration.redact(verdict.error)
            failed = [
                (refs[i], self.integration.redact(msg))
                for i, msg in verdict.failed.items()
                if 0 <= i < len(refs)
            ]
            resend = [refs[i] for i in verdict.resend if 0 <= i < len(refs) and i not in verdict.failed]
            later = [refs[i] for i in verdict.retry if 0 <= i < len(refs) and i not in verdict.failed]
        except Exception as exc:  # a malformed Classification, or redact raising: the module's bug
            self._vendor_bug(refs, vendor_bug(self.integration, "classify", exc))
            return
        await self._follow(route, refs, attempt, verdict, error, failed, resend, later)

    async def _follow(
        self,
        route: str,
        refs: list[_Ref],
        attempt: int,
        verdict: Classification,
        error: str,
        failed: list[tuple[_Ref, str]],
        resend: list[_Ref],
        later: list[_Ref],
    ) -> None:
        """Apply a classified answer: dead letters, retries, splits."""
        outcome = verdict.outcome
        if outcome is Outcome.PARTIAL:
            if verdict.retry_failed:
                await self._retry(route, [ref for ref, _ in failed], attempt, verdict.retry_after, error)
            else:
                for ref, msg in failed:
                    self._dead(ref, msg or error)
            if later:  # not confirmed by the vendor: another attempt, with backoff
                await self._retry(route, later, attempt, verdict.retry_after, error)
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

    async def _attempt(self, route: str, records: list[VendorRecord]) -> Classification | VendorBug:
        """One try: the vendor's answer classified, or the vendor module's failure to do so.

        Exceptions of vendor code never escape: a batch whose classification raised would get no
        ledger row and be re-sent every cycle (duplicates at vendors without a dedupe key).
        """
        vendor = self.integration
        if isinstance(vendor, DependentRequestsIntegration):
            return await self._exchange(vendor, route, records)
        await self._limiter.acquire()
        self.stats.requests += 1
        if isinstance(vendor, SdkIntegration):
            try:
                return await vendor.send(route, records)
            except Exception as exc:  # SDK errors not classified by the vendor are transient
                return Classification(Outcome.RETRY, error=f"{type(exc).__name__}: {exc}")
        try:
            request = vendor.build_request(route, records)
        except Exception as exc:  # nothing was sent; replayable once the module is fixed
            return vendor_bug(vendor, "build_request", exc)
        if self.client is None:
            raise RuntimeError("HTTP vendors need an HTTP client")
        try:
            response = await send_http(self.client, request, vendor.timeout_seconds)
        except httpx.TransportError as exc:
            return Classification(Outcome.RETRY, error=describe_transport_error(exc))
        try:
            return vendor.classify(response, records)
        except Exception as exc:  # the vendor may well have taken the batch: never resend blindly
            return vendor_bug(vendor, "classify", exc)

    async def _exchange(
        self, vendor: DependentRequestsIntegration, route: str, records: list[VendorRecord]
    ) -> Classification | VendorBug:
        """A vendor that needs dependent requests: each goes through the pool and the rate limit."""
        client = self.client
        if client is None:
            raise RuntimeError("HTTP vendors need an HTTP client")

        async def send(request: HttpRequest) -> HttpResponse:
            await self._limiter.acquire()
            self.stats.requests += 1
            return await send_http(client, request, vendor.timeout_seconds)

        try:
            return await vendor.exchange(route, records, send)
        except httpx.TransportError as exc:
            return Classification(Outcome.RETRY, error=describe_transport_error(exc))
        except Exception as exc:
            return vendor_bug(vendor, "exchange", exc)

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

    def _dead(self, ref: _Ref, error: str, reason: str = "") -> None:
        result = self._failures.setdefault(ref.key, ItemResult())
        result.status = "dead"
        result.error = error or "rejected by the vendor"
        result.reason = reason or result.reason
        self.stats.errors.append(result.error)

    def _vendor_bug(self, refs: list[_Ref], bug: VendorBug) -> None:
        for ref in refs:
            self._dead(ref, bug.error, reason="vendor_error")

"""The interface every vendor integration implements.

A vendor module declares, as class attributes, what a reader needs to know about the vendor —
its catalog code, the call types it accepts, batch and rate limits — and implements three pure
functions: how a Segment message becomes a vendor record, how records become HTTP requests, and
how a vendor response is classified. An exception raised by any of them is a bug of the module,
never a vendor's answer: the engine dead-letters the records concerned (reason ``vendor_error``,
replayable once the module is fixed) and counts it, rather than retrying in a loop. The delivery
engine (``engine.py``) does everything else:
filtering by the message's ``integrations`` object and the allow/deny lists, batching by count and
bytes, pooled async HTTP with bounded concurrency, Retry-After, backoff, 413 splitting, partial
retries, dead letters and cursors.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus

import orjson

from eventyard.errors import BadInputError, EventyardError

CALL_TYPES: frozenset[str] = frozenset({"track", "identify", "page", "screen", "group", "alias"})


class Outcome(enum.StrEnum):
    """What to do with the records of one request after the vendor answered."""

    SUCCESS = "success"  # every record accepted
    PARTIAL = "partial"  # some records failed: see Classification.failed
    RETRY = "retry"  # transient: resend later (network, timeout, 5xx, 408, 429)
    SPLIT = "split"  # 413: halve the batch and resend
    DROP = "drop"  # permanent failure: dead-letter every record with the vendor's error


@dataclass(frozen=True)
class Classification:
    """A classified vendor response.

    ``failed`` maps a record's index in the request to the vendor's error for it (PARTIAL);
    ``retry_failed`` says whether those failed records are worth retrying (True) or must be
    dead-lettered (False). ``retry_after`` is the vendor's requested delay in seconds.
    """

    outcome: Outcome
    error: str = ""
    failed: Mapping[int, str] = field(default_factory=dict)
    retry_failed: bool = False
    retry_after: float | None = None
    # Records the vendor did not accept but that are not at fault, to send again at once (e.g. the
    # valid rest of a batch rejected whole because of the records in ``failed``: Amplitude's 400).
    resend: tuple[int, ...] = ()
    # Records the vendor neither confirmed nor refused (a 200 whose results leave them out): tried
    # again later, with backoff, up to the retry window.
    retry: tuple[int, ...] = ()


@dataclass(frozen=True)
class VendorRecord:
    """One unit the vendor receives, carrying the message id it came from (for dedupe and DLQ)."""

    message_id: str
    payload: Any
    # Requests are only batched with records of the same route (endpoint/credential/API family).
    route: str = "default"


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request to a vendor, built from a batch of records of one route."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class HttpResponse:
    """What came back: status, headers (lower-cased names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class SkipMessage(EventyardError):
    """This message does not apply to the vendor (documented skip, e.g. alias on a vendor
    without aliasing); it is counted as skipped, never as failed."""


class InvalidMessage(BadInputError):
    """The message cannot be delivered as is (e.g. missing a required identifier): dead-letter."""


class Integration(abc.ABC):
    """Base class of a vendor integration. Subclasses set the class attributes and override
    ``transform``, ``build_request`` and (usually) ``classify``."""

    code: ClassVar[str]  # catalog code, e.g. "amplitude"
    # Other keys SDKs use for this destination in a message's ``integrations`` object, besides the
    # catalog name and code (Segment's historical names, e.g. "Appboy" for Braze).
    integration_aliases: ClassVar[tuple[str, ...]] = ()
    call_types: ClassVar[frozenset[str]] = CALL_TYPES
    max_batch_events: ClassVar[int] = 100
    max_batch_bytes: ClassVar[int] = 1_000_000
    max_requests_per_second: ClassVar[float | None] = None
    timeout_seconds: ClassVar[float] = 10.0
    # Settings whose values must never appear in logs or dead-letter errors.
    secret_settings: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        self.connection = dict(connection)
        self.config = dict(config)

    @abc.abstractmethod
    def transform(self, message: Mapping[str, Any]) -> Sequence[VendorRecord]:
        """Map one normalized Segment message to zero or more vendor records."""

    def transform_landed(self, message: Mapping[str, Any], text: str) -> Sequence[VendorRecord]:
        """``transform`` for a landed message, given also its JSON text (what the engine calls);
        vendors that forward the message unchanged override it to reuse the text."""
        return self.transform(message)

    @abc.abstractmethod
    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        """Build the HTTP request for a batch of records of one route."""

    def classify(self, response: HttpResponse, records: Sequence[VendorRecord]) -> Classification:
        """Classify a response with the default policy: 2xx success, 413 split, 408/429/5xx retry,
        other 4xx drop. Vendors with partial-success bodies override this."""
        return default_classification(response)

    def batch_limit(self, route: str) -> int:
        """Most records per request on ``route`` (override for per-route or configurable limits)."""
        return self.max_batch_events

    def record_size(self, record: VendorRecord) -> int:
        """Approximate bytes a record adds to a request body (for cutting batches by bytes)."""
        payload = record.payload
        if type(payload) is bytes:  # hot path: pre-serialized records
            return len(payload) + 1
        return len(orjson.dumps(payload, default=str)) + 1

    def redact(self, text: str) -> str:
        """Remove secret setting values from a text bound for logs or the dead-letter table."""
        for key in self.secret_settings:
            value = self.connection.get(key) or self.config.get(key)
            if isinstance(value, str) and len(value) >= 4:
                # Query strings and form bodies carry URL-encoded forms of the same value.
                for form in {value, quote(value, safe=""), quote_plus(value)}:
                    text = text.replace(form, "********")
        return text


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Parse a Retry-After header given in seconds (HTTP dates are treated as absent)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def default_classification(response: HttpResponse) -> Classification:
    """The default retry policy shared by most vendors (see destinations.md §0)."""
    status = response.status
    body = response.body[:2000].decode("utf-8", "replace")
    if 200 <= status < 300:
        return Classification(Outcome.SUCCESS)
    if status == 413:
        return Classification(Outcome.SPLIT, error=f"HTTP 413: {body}")
    if status in (408, 429) or status >= 500:
        return Classification(
            Outcome.RETRY, error=f"HTTP {status}: {body}", retry_after=retry_after_seconds(response.headers)
        )
    return Classification(Outcome.DROP, error=f"HTTP {status}: {body}")


Send = Callable[[HttpRequest], Awaitable[HttpResponse]]


class DependentRequestsIntegration(Integration):
    """Base class of vendors whose API needs several dependent requests per record (look a
    contact up, then create or update it; upsert a company, then attach a contact to it).

    The engine calls ``exchange`` for each batch instead of ``build_request`` + HTTP +
    ``classify``; ``send`` goes through the engine's pooled client and rate limiter (one token per
    request) and raises ``httpx.TransportError`` on network failures, which the engine retries.
    Any other exception is a bug of the module: the batch is dead-lettered (``vendor_error``).
    """

    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        """Not used: the requests depend on each other's answers, see ``exchange``."""
        raise TypeError(f"{type(self).__name__} sends dependent requests through exchange()")

    @abc.abstractmethod
    async def exchange(self, route: str, records: Sequence[VendorRecord], send: Send) -> Classification:
        """Deliver one batch of records of one route with as many requests as it takes; classify."""


class SdkIntegration(Integration):
    """Base class of vendors reached through an SDK instead of HTTP requests of ours (Kinesis).

    The engine calls ``send`` for each batch instead of ``build_request`` + HTTP + ``classify``;
    an exception raised by ``send`` counts as a transient failure (retried with backoff), so
    ``send`` only needs to classify the answers it understands.
    """

    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        """Not used: SDK vendors send through ``send``."""
        raise TypeError(f"{type(self).__name__} sends through its SDK, not HTTP requests")

    @abc.abstractmethod
    async def send(self, route: str, records: Sequence[VendorRecord]) -> Classification:
        """Deliver one batch of records of one route and classify the outcome."""

    async def aclose(self) -> None:
        """Release SDK clients (called once after a delivery cycle)."""

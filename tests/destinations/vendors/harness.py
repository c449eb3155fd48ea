"""Driving a vendor integration against a contract-checking receiver, without the engine.

The receiver is the shared one (``tests/destinations/receivers.py``): each vendor test passes a
*contract*, a function from the received request to a reply that checks what the vendor documents
(auth, required fields, units, limits) and answers with the vendor's real success, error and
partial-success bodies. The helpers here transform messages, cut batches by the vendor's limits,
send them with httpx and classify the answers, so a test sees exactly what the engine would.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from eventyard.destinations.base import (
    Classification,
    HttpResponse,
    Integration,
    SkipMessage,
    VendorRecord,
)
from tests.destinations.receivers import (
    ContractError,
    Received,
    Reply,
    check,
    reject,
    running,
)
from tests.destinations.receivers import VendorReceiver as Receiver

__all__ = [
    "ContractError",
    "ErrorContract",
    "Received",
    "Receiver",
    "Reply",
    "VendorSpec",
    "check",
    "reject",
    "running",
]


@dataclass(frozen=True)
class ErrorContract:
    """How a vendor answers trouble, checked for every module declaring it by test_error_contracts.py:
    its 429 (retried after ``retry_after``), a 5xx (retried), its 413 (split), and a request with a
    wrong ``credential`` setting (dropped, saying ``denied_says``; a secret never left in the
    redacted error)."""

    throttled: Reply
    retry_after: float | None
    too_large: Reply | None
    credential: str
    wrong_value: str
    denied_says: str = ""


@dataclass(frozen=True)
class VendorSpec:
    """What a vendor test module declares as ``SPEC``: the integration, its settings, and the
    vendor stand-in. The shared fixtures (``contract``, ``receiver``, ``vendor`` in conftest.py)
    build them for every test, so no module repeats the receiver plumbing.

    ``contract`` is either a contract function (stateless) or a class whose instances are
    contracts that remember what they received (a fresh one per test).
    """

    integration: type[Integration]
    connection: Mapping[str, Any]
    config: Mapping[str, Any]
    contract: Any
    errors: ErrorContract | None = None

    def new_contract(self) -> Any:
        """The stand-in for one test."""
        return self.contract() if isinstance(self.contract, type) else self.contract

    def pointed_at(self, receiver: Receiver) -> Integration:
        """The integration with these settings, sending to ``receiver``."""
        integration = self.integration(dict(self.connection), dict(self.config))
        integration.base_url = receiver.url
        return integration


@dataclass
class Delivery:
    """What happened to a list of messages: records per route, skips, and each request's result."""

    records: list[VendorRecord] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # message id -> reason
    results: list[tuple[list[VendorRecord], HttpResponse, Classification]] = field(default_factory=list)

    @property
    def outcomes(self) -> list[str]:
        return [str(c.outcome) for _, _, c in self.results]


def transform_all(integration: Integration, messages: Sequence[Mapping[str, Any]]) -> Delivery:
    """Transform messages, collecting records and documented skips."""
    delivery = Delivery()
    for message in messages:
        try:
            delivery.records.extend(integration.transform(message))
        except SkipMessage as exc:
            delivery.skipped[str(message.get("messageId"))] = str(exc)
    return delivery


@functools.lru_cache(maxsize=1)
def _client() -> httpx.Client:
    # One pooled client per test process: building one per request (SSL context) is slow.
    return httpx.Client(timeout=10, trust_env=False)


def send(integration: Integration, route: str, records: Sequence[VendorRecord]) -> HttpResponse:
    """Build the request for one batch and send it with httpx; return what came back."""
    request = integration.build_request(route, records)
    response = _client().request(
        request.method, request.url, headers=dict(request.headers), content=request.body
    )
    return HttpResponse(
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
    )


def deliver(integration: Integration, messages: Sequence[Mapping[str, Any]]) -> Delivery:
    """Transform, batch by route (up to the integration's event limit, in order), send, classify."""
    delivery = transform_all(integration, messages)
    by_route: dict[str, list[VendorRecord]] = {}
    for record in delivery.records:
        by_route.setdefault(record.route, []).append(record)
    for route, records in by_route.items():
        size = (
            integration.batch_limit(route)
            if hasattr(integration, "batch_limit")
            else integration.max_batch_events
        )
        for start in range(0, len(records), size):
            batch = records[start : start + size]
            response = send(integration, route, batch)
            delivery.results.append((batch, response, integration.classify(response, batch)))
    return delivery


def classify_reply(integration: Integration, records: Sequence[VendorRecord], reply: Reply) -> Classification:
    """Classify a canned vendor reply (for error bodies the contract cannot produce naturally)."""
    response = HttpResponse(
        status=reply.status, headers={k.lower(): v for k, v in reply.headers.items()}, body=reply.encoded()
    )
    return integration.classify(response, records)


def fault(
    integration: Integration, receiver: Receiver, reply: Reply, records: Sequence[VendorRecord]
) -> Classification:
    """Make the receiver answer the next request with ``reply``; send ``records`` and classify."""
    receiver.faults.append(reply)
    route = records[0].route
    return integration.classify(send(integration, route, records), records)


def assert_retry_policy(
    integration: Integration,
    receiver: Receiver,
    records: Sequence[VendorRecord],
    throttled: Reply,
    retry_after: float | None,
    server_error: Reply | None = None,
    too_large: Reply | None = None,
) -> None:
    """The vendor's 429 is retried after its delay, its 5xx retried, its 413 split."""
    from eventyard.destinations.base import Outcome

    result = fault(integration, receiver, throttled, records)
    assert result.outcome is Outcome.RETRY, result
    assert result.retry_after == retry_after
    broken = fault(integration, receiver, server_error or Reply(503, "Service Unavailable"), records)
    assert broken.outcome is Outcome.RETRY, broken
    if too_large is not None:
        assert fault(integration, receiver, too_large, records).outcome is Outcome.SPLIT


def basic_credentials(request: Received) -> tuple[str, str] | None:
    """The (user, password) of a Basic ``Authorization`` header, or None."""
    import base64

    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def assert_batch_limit(
    integration: Integration, receiver: Receiver, messages: Sequence[Mapping[str, Any]], route: str
) -> None:
    """The receiver rejects one request holding one record more than the integration's limit for
    ``route`` (so the limit is the vendor's), and accepts the records cut by that limit."""
    records = [r for r in transform_all(integration, messages).records if r.route == route]
    limit = integration.batch_limit(route)
    assert len(records) > limit, "give more messages than the limit"
    oversize = send(integration, route, records[: limit + 1])
    assert not 200 <= oversize.status < 300, f"{limit + 1} records were accepted"
    assert send(integration, route, records[:limit]).status < 300


def assert_declared_call_types(integration: Integration, message_for: Any) -> None:
    """``integration.call_types`` are exactly the call types its transform sends; the others are
    skipped with a real reason. ``message_for(kind)`` builds the message of each call type."""
    from eventyard.destinations.base import CALL_TYPES

    code = integration.code
    for kind in sorted(CALL_TYPES):
        try:
            records = integration.transform(message_for(kind))
        except SkipMessage as skip:
            assert kind not in integration.call_types, f"{code} declares {kind} but skips it: {skip}"
            assert len(str(skip)) > 20, f"{code} skips {kind} without a real reason"
        else:
            assert kind in integration.call_types, f"{code} accepts {kind} without declaring it"
            assert records and all(r.message_id == f"m-{kind}-1" for r in records)

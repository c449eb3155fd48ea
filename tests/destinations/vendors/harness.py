"""A small local HTTP receiver for vendor contract tests, and a driver that delivers messages
through an integration's transform + build_request + classify with httpx.

Each vendor test passes a *contract*: a function from the received request to a reply that
checks what the vendor documents (auth, required fields, units, limits) and answers with the
vendor's real success, error and partial-success bodies. The receiver runs in a thread on
127.0.0.1 with a free port, records what it accepted, and can be told to fail the next requests.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

from eventyard.destinations.base import (
    Classification,
    HttpResponse,
    Integration,
    SkipMessage,
    VendorRecord,
)


@dataclass
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body parsed as a URL-encoded form (last value wins)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def arg(self, name: str) -> str | None:
        """A query-string parameter (last value), or None."""
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Reply:
    """What the receiver answers."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return orjson.dumps(self.body)


class ContractError(Exception):
    """Raised by a contract to reject a request with the vendor's error reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.body)
        self.reply = reply


Contract = Callable[[Received], Reply]


class Receiver:
    """A running receiver: ``url``, the requests it ``accepted`` and ``rejected``, and a queue of
    ``faults`` (replies served, in order, before the contract sees the next requests)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.accepted: list[Received] = []
        self.rejected: list[tuple[Received, Reply]] = []
        self.faults: list[Reply] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handle(self, received: Received) -> Reply:
        with self._lock:
            if self.faults:
                reply = self.faults.pop(0)
                self.rejected.append((received, reply))
                return reply
        try:
            reply = self.contract(received)
        except ContractError as exc:
            reply = exc.reply
        with self._lock:
            if 200 <= reply.status < 300:
                self.accepted.append(received)
            else:
                self.rejected.append((received, reply))
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = receiver._handle(received)
                payload = reply.encoded()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running(contract: Contract) -> Iterator[Receiver]:
    """Start a receiver for ``contract`` on a free loopback port; stop it afterwards."""
    receiver = Receiver(contract)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


def reject(status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
    """Reject the request being checked (inside a contract) with this vendor reply."""
    raise ContractError(Reply(status, body, dict(headers or {})))


def check(condition: bool, status: int, body: Any) -> None:
    """Reject with ``status``/``body`` unless ``condition`` holds."""
    if not condition:
        reject(status, body)


# -- driving an integration ------------------------------------------------------------------


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

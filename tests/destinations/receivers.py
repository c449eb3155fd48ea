"""A reusable local HTTP receiver standing in for a vendor API in tests.

``VendorReceiver`` runs a threaded HTTP/1.1 (keep-alive) server on 127.0.0.1 with a free port.
Each vendor test gives it a *contract*: a function from the received request to a reply that
checks what the vendor documents (auth, required fields, types and units, batch limits) and
answers with the vendor's real success, error and partial-success bodies (raise with
``reject``/``check``). On top of the contract the receiver can inject faults: a queue of canned
replies, random 500s and 429s (with ``Retry-After``) at given rates, and a "down" switch (the
connection is dropped, or 503s are served). It counts every accepted idempotency key, so tests
can prove "delivered exactly once" the way the vendor would dedupe.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson


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
    """What the receiver answers; ``accepted_keys`` = idempotency keys this reply accepts
    (None: every key the receiver's ``keys`` function finds in the request, on a 2xx)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    accepted_keys: list[str] | None = None

    def encoded(self) -> bytes:
        """The body as bytes (dicts and lists as JSON)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return orjson.dumps(self.body)


class ContractError(Exception):
    """Raised inside a contract to answer with the vendor's error reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.body)
        self.reply = reply


def reject(status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
    """Reject the request being checked with this vendor reply."""
    raise ContractError(Reply(status, body, dict(headers or {})))


def check(condition: bool, status: int, body: Any) -> None:
    """Reject with ``status``/``body`` unless ``condition`` holds."""
    if not condition:
        reject(status, body)


Contract = Callable[[Received], Reply]
KeysOf = Callable[[Received], list[str]]


class VendorReceiver:
    """A vendor stand-in: a contract plus fault injection and idempotency-key counting."""

    def __init__(self, contract: Contract, *, keys: KeysOf | None = None, seed: int = 7) -> None:
        self.contract = contract
        self.keys = keys
        self.accepted: list[Received] = []
        self.rejected: list[tuple[Received, Reply]] = []
        self.deliveries: Counter[str] = Counter()  # idempotency key -> times accepted
        self.faults: list[Reply] = []  # served in order before anything else
        self.fail_rate = 0.0  # share of requests answered 500
        self.throttle_rate = 0.0  # share of requests answered 429 + Retry-After
        self.retry_after = "0"
        self.down = False
        self.down_mode = "reset"  # "reset": drop the connection; "503": answer 503
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- what tests read ----------------------------------------------------------------------

    @property
    def violations(self) -> list[tuple[int, str]]:
        """Contract rejections (4xx other than injected faults): what the integration got wrong."""
        return [
            (r.status, r.encoded().decode())
            for _, r in self.rejected
            if 400 <= r.status < 500 and r.status != 429
        ]

    def duplicates(self) -> dict[str, int]:
        """Idempotency keys accepted more than once (a vendor would have deduped these)."""
        return {k: n for k, n in self.deliveries.items() if n > 1}

    # -- serving ------------------------------------------------------------------------------

    def _injected(self) -> Reply | None:
        if self.faults:
            return self.faults.pop(0)
        if self.down and self.down_mode == "503":
            return Reply(503, {"error": "service unavailable"})
        roll = self._random.random()
        if roll < self.fail_rate:
            return Reply(500, {"error": "internal error"})
        if roll < self.fail_rate + self.throttle_rate:
            return Reply(429, {"error": "too many requests"}, {"Retry-After": self.retry_after})
        return None

    def handle(self, received: Received) -> Reply:
        """Answer one request: injected fault, else the contract's reply; count accepted keys."""
        with self._lock:
            injected = self._injected()
        if injected is not None:
            with self._lock:
                self.rejected.append((received, injected))
            return injected
        try:
            reply = self.contract(received)
        except ContractError as exc:
            reply = exc.reply
        with self._lock:
            if 200 <= reply.status < 300:
                self.accepted.append(received)
            else:
                self.rejected.append((received, reply))
            keys = reply.accepted_keys
            if keys is None and self.keys is not None and 200 <= reply.status < 300:
                keys = self.keys(received)
            self.deliveries.update(keys or [])
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if receiver.down and receiver.down_mode == "reset":
                    self.close_connection = True  # no answer at all: a network error for the client
                    return
                parts = urlsplit(self.path)
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = receiver.handle(received)
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

    def start(self) -> VendorReceiver:
        """Serve in a daemon thread."""
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running(contract: Contract, *, keys: KeysOf | None = None) -> Iterator[VendorReceiver]:
    """Start a receiver for ``contract`` on a free loopback port; stop it afterwards."""
    receiver = VendorReceiver(contract, keys=keys).start()
    try:
        yield receiver
    finally:
        receiver.stop()

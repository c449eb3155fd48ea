"""Shared pieces of the conversion-API vendor tests: an OAuth 2 token endpoint that enforces
RFC 6749's refresh-token grant, messages carrying click ids and personal data, and the raw
email/phone every contract refuses to see.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventyard.destinations.oauth import TOKENS
from tests.destinations.receivers import Received, Reply, VendorReceiver, reject, running
from tests.destinations.vendors.conftest import make

# Personal data as a customer's page would send it: mixed case, spaces, a national phone number.
RAW_EMAIL = "  Jo.Doe+ads@GMail.com "
NORMALIZED_EMAIL = "jo.doe+ads@gmail.com"
GOOGLE_EMAIL = "jodoe+ads@gmail.com"  # Google also drops the dots of Gmail local parts
RAW_PHONE = "(415) 555-0132"  # a US number; the locale en-US supplies the country
E164_PHONE = "+14155550132"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Fragments of the raw values that must never appear in anything sent or logged.
RAW_FRAGMENTS = ("jo.doe", "jodoe", "gmail.com", "555-0132", "5550132", "(415)")


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def conversion(kind: str = "track", number: int = 1, **fields: Any) -> dict[str, Any]:
    """A message with the raw email and phone in its traits, and any ``clickIds`` given."""
    click_ids = fields.pop("click_ids", None)
    message = make(kind, number, **fields)
    traits = message["context"]["traits"]
    traits.update(email=RAW_EMAIL, phone=RAW_PHONE)
    if kind == "identify":
        message["traits"].update(email=RAW_EMAIL, phone=RAW_PHONE)
    if click_ids:
        message["context"]["clickIds"] = click_ids
    return message


def assert_no_raw_pii(text: str) -> None:
    """No fragment of the raw email or phone in ``text`` (case-insensitive)."""
    lowered = text.lower()
    leaked = [fragment for fragment in RAW_FRAGMENTS if fragment in lowered]
    assert not leaked, f"raw personal data left Eventyard: {leaked} in {text[:300]!r}"


def sent_text(receiver: VendorReceiver) -> str:
    """Everything the receiver got: paths, queries, headers and bodies."""
    requests = [*receiver.accepted, *(r for r, _ in receiver.rejected)]
    return "\n".join(f"{r.path} {r.query} {r.headers} {r.body.decode('utf-8', 'replace')}" for r in requests)


class TokenEndpoint:
    """An OAuth 2 token endpoint: ``grant_type=refresh_token`` with the right client and refresh
    token gets a new bearer token; a revoked refresh token gets RFC 6749's ``invalid_grant``."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str, lifetime: int = 3599) -> None:
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.lifetime = lifetime
        self.valid: set[str] = set()
        self.issued: list[str] = []
        self.revoked = False
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, request: Received) -> Reply:
        form = request.form()
        if request.method != "POST" or "application/x-www-form-urlencoded" not in request.headers.get(
            "content-type", ""
        ):
            reject(400, {"error": "invalid_request", "error_description": "POST a form"})
        if form.get("grant_type") != "refresh_token":
            reject(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            reject(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if self.revoked or form.get("refresh_token") != self.refresh_token:
            reject(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        with self._lock:
            token = f"ya29.access-{next(self._counter)}"
            self.valid.add(token)
            self.issued.append(token)
        return Reply(200, {"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer"})

    def accepts(self, request: Received) -> bool:
        """Whether the request carries a live bearer token."""
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.valid

    def expire_all(self) -> None:
        """Every issued access token stops working (as after an hour)."""
        self.valid.clear()


@contextmanager
def token_server(endpoint: TokenEndpoint) -> Iterator[VendorReceiver]:
    """The token endpoint on a free port, with the process-wide token cache emptied around it."""
    TOKENS.clear()
    with running(endpoint) as receiver:
        yield receiver
    TOKENS.clear()

"""Contracts of the engine-helper's vendors, shared by the vendor tests and the end-to-end tests."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from tests.destinations.receivers import Received, Reply, check

WEBHOOK_SECRET = "whsec-0123456789abcdef"
WEBHOOK_TOKEN = "Bearer tok-5f2e9a77c1"
CALL_TYPES = {"track", "identify", "page", "screen", "group", "alias"}


def webhook_messages(request: Received) -> list[dict[str, Any]]:
    """The Segment messages of a webhook request (one object, or an array when batching)."""
    body = request.json()
    return body if isinstance(body, list) else [body]


def webhook_keys(request: Received) -> list[str]:
    """Idempotency keys of a webhook request: the messageIds."""
    return [str(m["messageId"]) for m in webhook_messages(request)]


def webhook_contract(request: Received) -> Reply:
    """A customer endpoint that verifies Segment's X-Signature and the static auth header."""
    check(request.method == "POST", 405, {"error": "method not allowed"})
    check(request.headers.get("content-type") == "application/json", 415, {"error": "json only"})
    check(request.headers.get("authorization") == WEBHOOK_TOKEN, 401, {"error": "bad token"})
    expected = hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha1).hexdigest()
    signature = request.headers.get("x-signature", "")
    check(hmac.compare_digest(signature, expected), 401, {"error": "bad signature"})
    check(len(request.body) <= 1_000_000, 413, {"error": "too large"})
    messages = webhook_messages(request)
    check(len(messages) <= 1000, 413, {"error": "too many"})
    for message in messages:
        check(message.get("type") in CALL_TYPES, 400, {"error": "bad type"})
        check(bool(message.get("messageId")), 400, {"error": "no messageId"})
    return Reply(200, {"ok": True})

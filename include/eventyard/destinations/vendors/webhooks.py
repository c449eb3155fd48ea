"""Webhooks: the full Segment message, unchanged, to the customer's HTTP endpoint.

One message per request (Segment's classic webhook) or, with ``enableBatching``, a JSON array of
up to ``batchSize`` messages (Segment Actions' ``performBatch``). With a shared secret each body
is signed like Segment does it: ``X-Signature`` = hex HMAC-SHA1(secret, raw body); SHA-256 is
offered for new receivers (``signatureAlgorithm``). Every call type is delivered.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from eventyard.destinations import base

MAX_BATCH = 1000
METHODS = frozenset({"POST", "PUT", "PATCH"})


class Webhooks(base.Integration):
    """A customer-owned HTTP endpoint."""

    code = "webhooks"
    max_batch_events = MAX_BATCH
    max_batch_bytes = 1_000_000
    timeout_seconds = 10.0
    secret_settings = frozenset({"sharedSecret"})

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        super().__init__(connection, config)
        url = str(self.connection.get("webhookUrl") or "").strip()
        if not url.startswith(("http://", "https://")):
            raise ValueError("webhooks: webhookUrl must be an http(s) URL")
        self.url = url
        self.method = str(self.config.get("webhookMethod") or "POST").upper()
        if self.method not in METHODS:
            raise ValueError(f"webhooks: unsupported method {self.method!r}")
        self.batching = bool(self.config.get("enableBatching"))
        self.batch_size = min(MAX_BATCH, max(1, int(self.config.get("batchSize") or 100)))
        algorithm = str(self.config.get("signatureAlgorithm") or "sha1").lower()
        self.digest = hashlib.sha256 if algorithm == "sha256" else hashlib.sha1
        self.static_headers = _headers(self.connection.get("headers"))

    def batch_limit(self, route: str) -> int:
        """``batchSize`` when batching, else one message per request."""
        return self.batch_size if self.batching else 1

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """The message itself, serialized once (the bytes are what is signed and sent)."""
        message_id = message.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            raise base.InvalidMessage("message has no messageId")
        return [base.VendorRecord(message_id, orjson.dumps(message))]

    def transform_landed(self, message: Mapping[str, Any], text: str) -> Sequence[base.VendorRecord]:
        """The landed JSON text as it is (no second serialization)."""
        message_id = message.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            raise base.InvalidMessage("message has no messageId")
        return [base.VendorRecord(message_id, text.encode())]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """One message as a JSON object, or a batch as a JSON array; signed when a secret is set."""
        parts = [bytes(r.payload) for r in records]
        body = b"[" + b",".join(parts) + b"]" if self.batching else parts[0]
        headers = {**self.static_headers, "Content-Type": "application/json", "User-Agent": "Eventyard"}
        secret = self.connection.get("sharedSecret")
        if isinstance(secret, str) and secret:
            headers["X-Signature"] = hmac.new(secret.encode(), body, self.digest).hexdigest()
        return base.HttpRequest(self.method, self.url, headers, body)

    def redact(self, text: str) -> str:
        """Also hide the static header values (they often carry tokens)."""
        text = super().redact(text)
        for value in self.static_headers.values():
            if len(value) >= 4:
                text = text.replace(value, "********")
        return text


def _headers(value: Any) -> dict[str, str]:
    """Static headers given as a map or as RudderStack-style ``[{"from": k, "to": v}]`` pairs."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items() if k}
    headers: dict[str, str] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                key = item.get("from") or item.get("key")
                if key:
                    headers[str(key)] = str(item.get("to") or item.get("value") or "")
    return headers

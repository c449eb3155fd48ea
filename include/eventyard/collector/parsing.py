"""Reading request bodies within limits: capped streaming read, bounded gunzip, JSON, base64, query.

Nothing here ever holds more than the limit (plus a small margin) in memory: the raw body is
cut off past its cap, and gzip output is inflated with ``max_length`` so a zip bomb costs at
most ``limit + 1`` bytes.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Receive

from eventyard.errors import BadInputError

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_HEAD_BYTES = 64 * 1024


class RequestError(BadInputError):
    """A request the collector refuses as a whole: HTTP status, stable code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class BodyTooLarge(RequestError):
    """The (decompressed) body exceeds its limit; ``head`` keeps its start for client sniffing."""

    def __init__(self, limit: int, head: bytes) -> None:
        super().__init__(400, "payload_too_large", f"request body is larger than {limit} bytes")
        self.head = head


def malformed_json() -> RequestError:
    """400 for a body that is not JSON (a fresh instance: raised exceptions collect tracebacks)."""
    return RequestError(400, "invalid_json", "malformed JSON")


def malformed_gzip() -> RequestError:
    """400 for ``Content-Encoding: gzip`` with a body that is not (complete) gzip."""
    return RequestError(400, "malformed_gzip", "Malformed gzip content")


async def read_body(receive: Receive, *, limit: int, gzipped: bool) -> bytes:
    """The request body (inflated when ``gzipped``), raising ``BodyTooLarge`` past ``limit``."""
    # A gzip stream of incompressible data is a little larger than its content.
    raw_cap = limit + limit // 64 + 1024 if gzipped else limit
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestError(400, "client_disconnected", "client disconnected before the body ended")
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        if chunk:
            size += len(chunk)
            chunks.append(chunk)
            if size > raw_cap:
                head = b"".join(chunks)[:_HEAD_BYTES]
                raise BodyTooLarge(limit, _inflate_head(head) if gzipped else head)
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return gunzip_capped(body, limit) if gzipped else body


def gunzip_capped(data: bytes, limit: int) -> bytes:
    """Inflate gzip ``data`` (one or more members), never producing more than ``limit + 1`` bytes."""
    out: list[bytes] = []
    produced = 0
    remaining = data
    try:
        while remaining:
            inflater = zlib.decompressobj(_GZIP_WBITS)
            piece = inflater.decompress(remaining, limit + 1 - produced)
            produced += len(piece)
            out.append(piece)
            if produced > limit:
                raise BodyTooLarge(limit, b"".join(out)[:_HEAD_BYTES])
            if not inflater.eof:
                if inflater.unconsumed_tail:
                    # Output stopped at max_length with input left: the content is too large.
                    raise BodyTooLarge(limit, b"".join(out)[:_HEAD_BYTES])
                raise malformed_gzip()  # truncated stream
            remaining = inflater.unused_data.lstrip(b"\0")
    except zlib.error as exc:
        raise malformed_gzip() from exc
    return b"".join(out)


def _inflate_head(data: bytes) -> bytes:
    try:
        return zlib.decompressobj(_GZIP_WBITS).decompress(data, _HEAD_BYTES)
    except zlib.error:
        return b""


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body``, whatever the Content-Type said."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise malformed_json() from exc


def decode_base64(value: str) -> bytes:
    """Base64 in any of its four variants (standard or URL-safe alphabet, padded or raw)."""
    cleaned = value.strip().replace(" ", "+").translate(str.maketrans("-_", "+/"))
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError(400, "invalid_data", "data is not valid base64") from exc


def parse_query(query_string: bytes) -> dict[str, str]:
    """The flat query parameters (the last value wins for repeated keys)."""
    return dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def message_from_query(params: dict[str, str], *, limit: int) -> dict[str, Any]:
    """A message from ``data=<base64 JSON>`` or from dotted keys (``properties.subject=..``).

    With ``data=``, a ``writeKey`` query parameter still counts when the JSON has none.
    """
    data = params.get("data")
    if data is not None:
        decoded = decode_base64(data)
        if len(decoded) > limit:
            raise BodyTooLarge(limit, decoded[:_HEAD_BYTES])
        parsed = parse_json(decoded)
        if type(parsed) is not dict:
            raise RequestError(400, "invalid_request", "data must encode a JSON object")
        if "writeKey" in params and not parsed.get("writeKey"):
            parsed["writeKey"] = params["writeKey"]
        return parsed
    message: dict[str, Any] = {}
    for key, value in params.items():
        if key == "callback":
            continue
        target = message
        *parents, leaf = key.split(".")
        for part in parents:
            child = target.get(part)
            if type(child) is not dict:
                child = {}
                target[part] = child
            target = child
        target[leaf] = value
    return message

"""The tracking API's hot path, as a plain ASGI handler (segment-spec §1.1-§1.5).

One request = read the body within its limit, parse JSON, resolve the key from cache,
enrich/validate with dict operations, one ``await spool.append(records)``, answer. No
framework routing or dependency injection runs per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from eventyard.collector import metrics, validate
from eventyard.collector.auth import basic_username
from eventyard.collector.enrich import received_now
from eventyard.collector.intake import Arrival, Intake, batch_records, single_records
from eventyard.collector.parsing import (
    BodyTooLarge,
    RequestError,
    message_from_query,
    parse_json,
    parse_query,
    read_body,
)
from eventyard.collector.runtime import CollectorRuntime
from eventyard.collector.spool import SpoolUnavailable
from eventyard.collector.writekeys import ControlDbUnavailable


@dataclass(frozen=True, slots=True)
class TrackingRoute:
    """What a tracking path means."""

    event_type: str | None  # None for batch routes
    channel: str  # "server" or "client"
    client: bool  # short analytics.js routes: also GET ?data= and JSONP


_TYPES = ("identify", "track", "page", "screen", "group", "alias")
ROUTES: dict[str, TrackingRoute] = {f"/v1/{t}": TrackingRoute(t, "server", False) for t in _TYPES}
ROUTES.update({f"/v1/{t[0]}": TrackingRoute(t, "client", True) for t in _TYPES})
ROUTES["/v1/batch"] = ROUTES["/v1/import"] = TrackingRoute(None, "server", False)
ROUTES["/v1/b"] = TrackingRoute(None, "client", False)
PIXEL_PREFIX = "/v1/pixel/"
METRICS_PATH = "/v1/m"

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
SUCCESS = b'{"success":true}'
_JSONP_CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
_DEFAULT_ALLOW_HEADERS = b"Content-Type, Authorization, X-Retry-Count"
_ALLOW_METHODS = b"POST, PUT, GET, OPTIONS"


def normalize_path(path: str) -> str:
    """Lower-case and strip one trailing slash, like Segment's own router."""
    path = path.lower()
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def is_tracking_path(path: str) -> bool:
    """Whether a normalized path belongs to the tracking API (handled here, not by Starlette)."""
    return path in ROUTES or path == METRICS_PATH or path.startswith(PIXEL_PREFIX)


class _Headers:
    __slots__ = ("access_control_request_headers", "authorization", "gzip", "origin")

    def __init__(self, scope: Scope) -> None:
        self.authorization: bytes | None = None
        self.gzip = False
        self.origin: bytes | None = None
        self.access_control_request_headers: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                self.authorization = value
            elif name == b"content-encoding":
                self.gzip = value.strip().lower() == b"gzip"
            elif name == b"origin":
                self.origin = value
            elif name == b"access-control-request-headers":
                self.access_control_request_headers = value


def _cors(headers: _Headers) -> list[tuple[bytes, bytes]]:
    if headers.origin is None:
        return [(b"access-control-allow-origin", b"*")]
    return [
        (b"access-control-allow-origin", headers.origin),
        (b"access-control-allow-credentials", b"true"),
        (b"vary", b"Origin"),
    ]


async def _send(send: Send, status: int, body: bytes, content_type: bytes, extra: list[Any]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, payload: Any, extra: list[Any]) -> None:
    body = SUCCESS if payload is None else orjson.dumps(payload)
    await _send(send, status, body, b"application/json", extra)


async def _send_error(send: Send, error: RequestError, extra: list[Any]) -> None:
    metrics.REQUESTS_FAILED.labels(error.code).inc()
    if error.status == 503:
        extra = [*extra, (b"retry-after", b"1")]
    payload = {"success": False, "message": error.message, "code": error.code}
    await _send_json(send, error.status, payload, extra)


async def preflight(headers: _Headers, send: Send) -> None:
    """CORS preflight for analytics-next ≥ 1.84 (Authorization and X-Retry-Count headers)."""
    extra = [
        *_cors(headers),
        (b"access-control-allow-methods", _ALLOW_METHODS),
        (b"access-control-allow-headers", headers.access_control_request_headers or _DEFAULT_ALLOW_HEADERS),
        (b"access-control-max-age", b"604800"),
    ]
    if headers.origin is not None:
        extra.append((b"vary", b"Access-Control-Request-Headers"))
    await send({"type": "http.response.start", "status": 204, "headers": extra})
    await send({"type": "http.response.body", "body": b""})


def _client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


async def handle(runtime: CollectorRuntime, path: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one tracking request (``path`` already normalized)."""
    headers = _Headers(scope)
    method = scope["method"]
    if method == "OPTIONS":
        await preflight(headers, send)
        return
    cors = _cors(headers)
    try:
        if path == METRICS_PATH:
            # analytics-next telemetry: read within the limit, store nothing.
            await read_body(receive, limit=validate.MAX_BATCH_BYTES, gzipped=headers.gzip)
            await _send_json(send, 200, None, cors)
            return
        if path.startswith(PIXEL_PREFIX):
            await _pixel(runtime, path[len(PIXEL_PREFIX) :], scope, send, cors)
            return
        route = ROUTES[path]
        params = parse_query(scope["query_string"]) if scope["query_string"] else {}
        intake = await _intake(runtime, route, method, params, headers, scope, receive)
        await _commit(runtime, intake)
        callback = params.get("callback") if route.client else None
        if callback is not None and _JSONP_CALLBACK.match(callback):
            script = f'typeof {callback} == "function" && {callback}({{ success: true }});'.encode()
            await _send(send, 200, script, b"application/javascript", cors)
            return
        await _send_json(send, 200, intake.response() if intake.rejected else None, cors)
    except BodyTooLarge as exc:
        route_of_batch = path in ROUTES and ROUTES[path].event_type is None
        if route_of_batch and _looks_like_metarouter(exc.head, headers):
            exc.status = 413  # MetaRouter SDKs halve the batch on 413; a 400 would drop it
        await _send_error(send, exc, cors)
    except ControlDbUnavailable as exc:
        await _send_error(send, RequestError(503, "control_db_unavailable", str(exc)), cors)
    except RequestError as exc:
        if exc.status == 405:
            cors = [*cors, (b"allow", b"POST, PUT, OPTIONS")]
        await _send_error(send, exc, cors)


async def _intake(
    runtime: CollectorRuntime,
    route: TrackingRoute,
    method: str,
    params: dict[str, str],
    headers: _Headers,
    scope: Scope,
    receive: Receive,
) -> Intake:
    arrival = Arrival(
        basic_username(headers.authorization), runtime.keys, received_now(), route.channel, _client_ip(scope)
    )
    if route.event_type is None:
        if method not in ("POST", "PUT"):
            raise RequestError(405, "method_not_allowed", f"{method} is not allowed here")
        body = await read_body(receive, limit=validate.MAX_BATCH_BYTES, gzipped=headers.gzip)
        return await batch_records(parse_json(body), body_size=len(body), arrival=arrival)
    if method == "GET" and route.client:
        payload: Any = message_from_query(params, limit=validate.MAX_EVENT_BYTES)
    elif method == "POST" or (method == "PUT" and route.client):
        body = await read_body(receive, limit=validate.MAX_EVENT_BYTES, gzipped=headers.gzip)
        payload = parse_json(body)
    else:
        raise RequestError(405, "method_not_allowed", f"{method} is not allowed here")
    return await single_records(payload, event_type=route.event_type, arrival=arrival)


async def _commit(runtime: CollectorRuntime, intake: Intake) -> None:
    """Append durably, then count and show in the debugger (only what is on disk)."""
    spool = runtime.spool
    if spool is None:
        raise RequestError(503, "spool_unavailable", "events cannot be stored right now: spool not open")
    try:
        await spool.append(intake.records)
    except SpoolUnavailable as exc:
        raise RequestError(503, "spool_unavailable", f"events cannot be stored right now: {exc}") from exc
    if intake.accepted:
        metrics.count_accepted(intake.accepted)
    for rejection in intake.rejected:
        metrics.EVENTS_REJECTED.labels(rejection["code"]).inc()
    runtime.debugger.add_many(intake.sources, intake.records)


async def _pixel(runtime: CollectorRuntime, kind: str, scope: Scope, send: Send, cors: list[Any]) -> None:
    """``GET /v1/pixel/<type>?data=<base64>`` or dotted keys: store one event, answer a 1x1 GIF."""
    if kind not in _TYPES:
        raise RequestError(404, "not_found", f"unknown pixel type {kind!r}")
    if scope["method"] != "GET":
        raise RequestError(405, "method_not_allowed", "pixels are fetched with GET")
    params = parse_query(scope["query_string"])
    payload = message_from_query(params, limit=validate.MAX_EVENT_BYTES)
    arrival = Arrival(None, runtime.keys, received_now(), "client", _client_ip(scope))
    intake = await single_records(payload, event_type=kind, arrival=arrival)
    await _commit(runtime, intake)
    await _send(send, 200, GIF, b"image/gif", [*cors, (b"cache-control", b"no-cache, no-store")])


def _looks_like_metarouter(head: bytes, headers: _Headers) -> bool:
    """MetaRouter SDKs: their library name, or the no-auth, key-in-every-event batch shape."""
    if b'"metarouter' in head.lower():
        return True
    return headers.authorization is None and head.lstrip().startswith(b'{"batch"') and b'"writeKey"' in head

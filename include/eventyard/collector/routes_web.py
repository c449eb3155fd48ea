"""The collector's non-tracking routes: analytics.js settings and bundle, health, readiness, metrics."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import urlparse

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from eventyard.collector import bundle, metrics, routes_plugins
from eventyard.collector.auth import basic_username
from eventyard.collector.routes_plugins import error as _error
from eventyard.collector.runtime import CollectorRuntime
from eventyard.collector.writekeys import ControlDbUnavailable

_CACHEABLE_JSON = {"cache-control": "public, max-age=60", "access-control-allow-origin": "*"}


def public_origin(request: Request, runtime: CollectorRuntime) -> tuple[str, str]:
    """(scheme, host[:port]) SDKs should use: the configured public URL if set, else the request's."""
    settings = runtime.settings
    configured = urlparse(settings.collector_public_url)
    if "collector_public_url" in settings.model_fields_set or not request.headers.get("host"):
        return configured.scheme or "http", configured.netloc
    return request.url.scheme, request.headers["host"]


def _runtime(request: Request) -> CollectorRuntime:
    runtime: CollectorRuntime = request.app.state.runtime
    return runtime


async def _enabled_source(runtime: CollectorRuntime, write_key: str) -> Response | None:
    """None when the key is usable, else the error response."""
    try:
        source = await runtime.keys.resolve(write_key)
    except ControlDbUnavailable as exc:
        return _error(503, "control_db_unavailable", str(exc))
    if not source.ok:
        return _error(404, "invalid_write_key", f"no enabled source has the write key {write_key!r}")
    return None


async def project_settings(request: Request) -> Response:
    """``GET /v1/projects/{writeKey}/settings``: what analytics.js needs, pointing at this collector.

    Besides ``Segment.io`` it lists the source's device-mode plugins (``remotePlugins``). It is
    answered with ``no-cache`` and an ETag: browsers revalidate on every page load (a 304 when
    nothing changed), so switching an integration off reaches the next page load.
    """
    runtime = _runtime(request)
    write_key = request.path_params["write_key"]
    failure = await _enabled_source(runtime, write_key)
    if failure is not None:
        return failure
    scheme, host = public_origin(request, runtime)
    api_host = f"{host}/v1"
    try:
        plugins = await runtime.device_plugins.plugins(write_key)
    except Exception as exc:
        return _error(503, "control_db_unavailable", f"control DB unreachable: {type(exc).__name__}")
    device = routes_plugins.device_section(plugins, f"{scheme}://{host}")
    body = {
        # Besides Segment.io, only the device plugins' entries (bundling and consent markers,
        # never a `type`: analytics.js would fetch classic bundles from Segment's CDN).
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": api_host,
                "protocol": scheme,
                "unbundledIntegrations": [],
                "addBundledMetadata": True,
                "maybeBundledConfigIds": device["bundled"],
            },
            **device["integrations"],
        },
        "consentSettings": device["consentSettings"],
        "enabledMiddleware": {},
        "metrics": {"host": api_host, "sampleRate": 0},
        "remotePlugins": device["remotePlugins"],
        "legacyVideoPluginsEnabled": False,
    }
    payload = orjson.dumps(body)
    etag = '"' + hashlib.sha256(payload).hexdigest()[:20] + '"'
    headers = {"cache-control": "no-cache", "access-control-allow-origin": "*", "etag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(payload, media_type="application/json", headers=headers)


async def rudderstack_source_config(request: Request) -> Response:
    """``GET /sourceConfig/?writeKey=``: what RudderStack JS v3 fetches (point its ``configUrl`` here)."""
    runtime = _runtime(request)
    write_key = request.query_params.get("writeKey") or basic_username(
        request.headers.get("authorization", "").encode()
    )
    if not write_key:
        return _error(400, "missing_write_key", "writeKey query parameter or Basic auth is required")
    failure = await _enabled_source(runtime, write_key)
    if failure is not None:
        return failure
    source = runtime.keys.cached(write_key)
    body = {
        "isHosted": False,
        "source": {
            "id": write_key,
            "name": write_key,
            "writeKey": write_key,
            "enabled": True,
            "workspaceId": source.org_id if source is not None else None,
            "config": {},
            # Destinations run server-side in Eventyard, never in the browser.
            "destinations": [],
        },
    }
    return JSONResponse(body, headers=_CACHEABLE_JSON)


async def analytics_bundle(request: Request) -> Response:
    """``/analytics.js/v1/{writeKey}/{file}.js``: analytics.min.js, metalytics.min.js or <wk>.js."""
    runtime = _runtime(request)
    write_key = request.path_params["write_key"]
    filename = request.path_params["filename"]
    if filename not in ("analytics.min.js", "analytics.js", "metalytics.min.js", f"{write_key}.js"):
        return _error(404, "not_found", f"no bundle named {filename!r}")
    failure = await _enabled_source(runtime, write_key)
    if failure is not None:
        return failure
    scheme, host = public_origin(request, runtime)
    try:
        script = bundle.analytics_js(write_key, f"{scheme}://{host}", metalytics=filename.startswith("meta"))
    except bundle.BundleMissing as exc:
        return _error(503, "bundle_missing", str(exc))
    return _javascript(script, max_age=300)


async def bundle_chunk(request: Request) -> Response:
    """``/analytics-next/bundles/{name}``: the chunks analytics.js loads lazily."""
    try:
        data = bundle.chunk(request.path_params["name"])
    except FileNotFoundError:
        return _error(404, "not_found", "no such bundle chunk")
    except bundle.BundleMissing as exc:
        return _error(503, "bundle_missing", str(exc))
    return _javascript(data, max_age=86400)


def _javascript(body: bytes, max_age: int) -> Response:
    """Script any site may load (CORS ``*``), cached ``max_age`` seconds by browsers and CDNs."""
    return Response(
        body,
        media_type="application/javascript",
        headers={"cache-control": f"public, max-age={max_age}", "access-control-allow-origin": "*"},
    )


async def healthz(request: Request) -> Response:
    """Liveness: the process serves requests."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: 503 when the spool cannot write or the control DB is unreachable."""
    runtime = _runtime(request)
    problems: dict[str, str] = {}
    spool = runtime.spool
    if spool is None:
        problems["spool"] = "not open"
    elif not spool.healthy():
        probe = getattr(spool, "probe", None)
        if probe is not None:
            await probe()  # a disk that was full may have room again
        if not spool.healthy():
            problems["spool"] = "cannot write"
    try:
        await asyncio.to_thread(_ping, runtime)
    except Exception as exc:
        problems["control_db"] = f"unreachable: {type(exc).__name__}"
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready"})


def _ping(runtime: CollectorRuntime) -> None:
    with runtime.engine.connect() as conn:
        conn.execute(text("select 1"))


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus exposition (aggregated over workers in multiprocess mode)."""
    runtime = _runtime(request)
    if runtime.spool is not None:
        metrics.update_spool_gauges(runtime.spool.stats(), runtime.spool.healthy())
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


async def not_found(request: Request, exc: Exception) -> Response:
    """JSON 404, in the same shape as every other collector error."""
    return _error(404, "not_found", f"no route {request.url.path}")


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """JSON 405, in the same shape as every other collector error."""
    return _error(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")


ROUTES = [
    Route("/v1/projects/{write_key}/settings", project_settings, methods=["GET"]),
    *routes_plugins.ROUTES,
    Route("/analytics.js/v1/{write_key}/{filename}", analytics_bundle, methods=["GET"]),
    Route("/sourceConfig", rudderstack_source_config, methods=["GET"]),
    Route("/sourceConfig/", rudderstack_source_config, methods=["GET"]),
    Route("/analytics-next/bundles/{name}", bundle_chunk, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics_endpoint, methods=["GET"]),
]

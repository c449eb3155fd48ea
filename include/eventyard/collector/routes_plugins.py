"""Device mode for analytics.js: the settings' plugin section and the plugin bundle routes."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from eventyard.catalog.device_mode import CONSENT_CATEGORIES
from eventyard.collector import plugin_files
from eventyard.collector.device_plugins import DevicePlugin, library_name

log = logging.getLogger(__name__)
_IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable", "access-control-allow-origin": "*"}
_REVALIDATE = {"cache-control": "no-cache", "access-control-allow-origin": "*"}


def remote_plugin(plugin: DevicePlugin, base_url: str) -> dict[str, Any]:
    """One ``remotePlugins`` entry (analytics-next's remote loader format)."""
    version = plugin_files.version("own", plugin.plugin)
    settings = dict(plugin.settings)
    settings["eventyard"] = {
        "integrationId": plugin.integration_id,
        "mode": plugin.mode,
        "consentCategory": plugin.consent_category,
        "pluginsUrl": f"{base_url}/v1/plugins",
    }
    return {
        "name": plugin.name,
        "creationName": plugin.name,
        "url": f"{base_url}/v1/plugins/{plugin.plugin}.js?v={version}",
        "libraryName": library_name(plugin.plugin),
        "settings": settings,
    }


def device_section(plugins: list[DevicePlugin], base_url: str) -> dict[str, Any]:
    """``remotePlugins``, the settings' ``integrations`` entries of the plugins, the bundled ids
    and ``consentSettings``.

    ``integrations[name] = {"bundlingStatus": "bundled"}`` plus ``maybeBundledConfigIds`` make
    analytics.js put the integration ids into every event's ``_metadata.bundledIds``; delivery
    skips those. Hybrid integrations are not marked: the server delivers them as well.

    Each plugin's entry also carries ``consentSettings.categories`` (its consent category) and
    the answer lists ``consentSettings.allCategories``: the fields Segment's consent wrappers
    (``@segment/analytics-consent-tools``, e.g. its OneTrust wrapper) read to drop the remote
    plugins a visitor did not consent to before anything loads. No entry has a ``type``, so
    analytics.js never tries to load a classic destination for it.
    """
    remote: list[dict[str, Any]] = []
    bundled: dict[str, list[str]] = {}
    integrations: dict[str, dict[str, Any]] = {}
    for plugin in plugins:
        try:
            remote.append(remote_plugin(plugin, base_url))
        except (FileNotFoundError, plugin_files.PluginMissing) as exc:
            # A plugin this build lacks: the rest of the page (and collection) must still work.
            log.warning("device plugin %s not served: %s", plugin.plugin, exc)
            continue
        entry = integrations.setdefault(plugin.name, {})
        if plugin.consent_category:
            entry["consentSettings"] = {"categories": [plugin.consent_category]}
        if plugin.mode == "device" and plugin.integration_id is not None:
            bundled.setdefault(plugin.name, []).append(plugin.integration_id)
            entry["bundlingStatus"] = "bundled"
    consent = {
        # Every category Eventyard gates on: the wrappers refuse to stamp events when it is empty.
        "allCategories": sorted(CONSENT_CATEGORIES),
        # Events also go to the collector, which no category maps: never let a wrapper turn
        # analytics.js off because the visitor consented to no listed category.
        "hasUnmappedDestinations": True,
    }
    return {
        "remotePlugins": remote,
        "bundled": bundled,
        "integrations": {name: entry for name, entry in integrations.items() if entry},
        "consentSettings": consent,
    }


def _script(data: bytes, headers: dict[str, str]) -> Response:
    return Response(data, media_type="application/javascript", headers=headers)


def error(status: int, code: str, message: str) -> JSONResponse:
    """A JSON error in the collector's shape, readable by pages of any origin.

    analytics.js fetches settings and plugins cross-origin: without the CORS header a 404 or
    503 reaches the page as an opaque network error instead of the collector's reason.
    """
    return JSONResponse(
        {"success": False, "message": message, "code": code},
        status_code=status,
        headers={"access-control-allow-origin": "*", "cache-control": "no-store"},
    )


def _serve(request: Request, kind: str) -> Response:
    filename: str = request.path_params["file"]
    if not filename.endswith(".js"):
        return error(404, "not_found", "no such plugin")
    name = filename[: -len(".js")] if kind == "own" else f"{request.path_params['folder']}/{filename}"
    try:
        data = plugin_files.own_plugin(name) if kind == "own" else plugin_files.segment_destination(name)
        current = plugin_files.version(kind, name)
    except FileNotFoundError:
        return error(404, "not_found", f"no plugin named {name!r}")
    except plugin_files.PluginMissing as exc:
        return error(503, "plugins_missing", str(exc))
    # A URL naming the current version may be cached for good; any other must revalidate.
    headers = _IMMUTABLE if request.query_params.get("v") == current else _REVALIDATE
    return _script(data, {**headers, "etag": f'"{current}"'})


async def own_plugin(request: Request) -> Response:
    """``/v1/plugins/{plugin}.js``: one of our browser plugins."""
    return _serve(request, "own")


async def segment_plugin(request: Request) -> Response:
    """``/v1/plugins/segment/{destination}/bundle.js`` (and its chunks): ``@segment/browser-destinations``."""
    return _serve(request, "segment")


ROUTES = [
    Route("/v1/plugins/segment/{folder}/{file}", segment_plugin, methods=["GET"]),
    Route("/v1/plugins/{file}", own_plugin, methods=["GET"]),
]

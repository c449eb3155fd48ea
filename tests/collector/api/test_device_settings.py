"""Device mode in the collector's settings answer and plugin routes (the browser side is in
tests/browser): which plugins a page gets, with which settings, the consent markers Segment's
consent wrappers read, and error answers a page on another origin can read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from eventyard.catalog import load_catalog
from eventyard.collector import plugin_files
from eventyard.collector.app import create_app
from eventyard.crypto import encrypt_details
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Connection, Integration
from tests.collector.api.conftest import WK, Collector, RecordingSpool, make_settings, seed


def integrate(col: Collector, code: str, details: dict[str, Any], config: dict[str, Any]) -> str:
    """An enabled integration of ``code`` on the source ``WK``, straight into the control DB."""
    destination = load_catalog().get(code)
    with session_scope(get_engine(col.settings)) as s:
        connection = Connection(
            org_id=col.ids["acme"],
            name=code,
            integration_code=code,
            connection_prototype_id=destination.connection_prototype_id,
            details_encrypted=encrypt_details(col.settings, details),
        )
        s.add(connection)
        s.flush()
        integration = Integration(
            org_id=col.ids["acme"],
            app_id=WK,
            connection_id=connection.id,
            integration_code=code,
            name=code,
            config=config,
        )
        s.add(integration)
        s.flush()
        return integration.id


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Collector]:
    """A collector of its own (tests here add integrations and break the control DB)."""
    settings = make_settings(tmp_path / "home", writekey_cache_seconds=0.0)
    ids = seed(settings)
    spool = RecordingSpool()
    app = create_app(settings, spool_factory=lambda _s: spool, run_flusher=False)
    with TestClient(app) as client:
        yield Collector(app, client, spool, settings, ids)


def test_settings_list_each_mode_with_public_settings_and_consent_markers(fresh: Collector) -> None:
    device = integrate(fresh, "hotjar", {"siteID": "4242"}, {"eventDenyList": ["Secret Step"]})
    hybrid = integrate(
        fresh,
        "facebook_pixel",
        {"pixelId": "77", "accessToken": "secret-token-77"},
        {"connectionMode": "hybrid"},
    )
    integrate(fresh, "criteo", {"accountId": "1", "callerId": "c"}, {})  # cloud (its default)
    answer = fresh.client.get(f"/v1/projects/{WK}/settings")
    assert answer.status_code == 200
    body = answer.json()
    plugins = {p["name"]: p for p in body["remotePlugins"]}
    assert set(plugins) == {"Eventyard Click IDs", "Hotjar", "Facebook Pixel"}
    hotjar = plugins["Hotjar"]
    assert hotjar["libraryName"] == "eventyard_hotjar"
    assert hotjar["url"].startswith("http://testserver/v1/plugins/hotjar.js?v=")
    assert hotjar["settings"]["siteID"] == "4242"
    assert hotjar["settings"]["eventDenyList"] == ["Secret Step"]
    assert hotjar["settings"]["eventyard"] == {
        "integrationId": device,
        "mode": "device",
        "consentCategory": "Analytics",
        "pluginsUrl": "http://testserver/v1/plugins",
    }
    assert "secret-token-77" not in answer.text and "accessToken" not in plugins["Facebook Pixel"]["settings"]
    assert plugins["Facebook Pixel"]["settings"]["eventyard"]["integrationId"] == hybrid
    integrations = body["integrations"]
    # device: bundled (the server skips the page's events); hybrid: delivered by both sides
    assert integrations["Segment.io"]["maybeBundledConfigIds"] == {"Hotjar": [device]}
    assert integrations["Hotjar"] == {
        "bundlingStatus": "bundled",
        "consentSettings": {"categories": ["Analytics"]},
    }
    assert integrations["Facebook Pixel"] == {"consentSettings": {"categories": ["Advertising"]}}
    assert "Criteo" not in integrations
    assert not [entry for entry in integrations.values() if "type" in entry]
    assert body["consentSettings"] == {
        "allCategories": ["Advertising", "Analytics", "Functional", "Marketing", "Personalization"],
        "hasUnmappedDestinations": True,
    }


def test_an_unchanged_answer_revalidates_with_a_304(fresh: Collector) -> None:
    first = fresh.client.get(f"/v1/projects/{WK}/settings")
    assert first.headers["cache-control"] == "no-cache"
    again = fresh.client.get(f"/v1/projects/{WK}/settings", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["access-control-allow-origin"] == "*"
    integrate(fresh, "hotjar", {"siteID": "1"}, {})
    changed = fresh.client.get(
        f"/v1/projects/{WK}/settings", headers={"If-None-Match": first.headers["etag"]}
    )
    assert changed.status_code == 200 and "Hotjar" in changed.text


def _readable_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and response.json()["success"] is False
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-store"


def test_settings_errors_are_readable_from_any_origin(
    fresh: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    _readable_error(fresh.client.get("/v1/projects/nosuchkey/settings"), 404, "invalid_write_key")
    assert fresh.client.get(f"/v1/projects/{WK}/settings").status_code == 200  # key now cached

    async def unreachable(source_id: str) -> list[Any]:
        raise ConnectionError("control DB down")

    monkeypatch.setattr(fresh.app.runtime.device_plugins, "plugins", unreachable)
    _readable_error(fresh.client.get(f"/v1/projects/{WK}/settings"), 503, "control_db_unavailable")
    _readable_error(fresh.client.get("/v1/nothing/here"), 404, "not_found")
    _readable_error(fresh.client.post(f"/v1/projects/{WK}/settings"), 405, "method_not_allowed")


def test_settings_answer_503_readably_when_the_control_db_is_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", writekey_cache_seconds=0.0)
    seed(settings)
    app = create_app(settings, spool_factory=lambda _s: RecordingSpool(), run_flusher=False)
    with TestClient(app) as client:
        (tmp_path / "home" / "control.db").unlink()
        (tmp_path / "home" / "control.db").mkdir()  # a directory: SQLite cannot open it
        app.runtime.engine.dispose()
        _readable_error(client.get(f"/v1/projects/{WK}/settings"), 503, "control_db_unavailable")


def test_plugin_bundles_are_cached_by_version_and_refused_by_odd_names(fresh: Collector) -> None:
    listed = fresh.client.get(f"/v1/projects/{WK}/settings").json()["remotePlugins"][0]["url"]
    path = listed.removeprefix("http://testserver")
    current = fresh.client.get(path)
    assert current.status_code == 200 and current.headers["content-type"].startswith("application/javascript")
    assert "immutable" in current.headers["cache-control"]
    assert fresh.client.get("/v1/plugins/click-ids.js").headers["cache-control"] == "no-cache"
    segment = fresh.client.get("/v1/plugins/segment/vwo/bundle.js")
    assert segment.status_code == 200 and b"vwoDestination" in segment.content
    for odd in (
        "/v1/plugins/nosuch.js",
        "/v1/plugins/hotjar.css",
        "/v1/plugins/segment/vwo/..%2F..%2Fpackage.js",
    ):
        _readable_error(fresh.client.get(odd), 404, "not_found")


def test_missing_plugin_builds_answer_a_readable_503(
    fresh: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugin_files, "OWN_DIR", Path("no/such/build"))
    plugin_files.reset_cache()
    try:
        _readable_error(fresh.client.get("/v1/plugins/hotjar.js"), 503, "plugins_missing")
        # the page still gets its settings (and collection keeps working) without the plugins
        integrate(fresh, "hotjar", {"siteID": "4242"}, {})
        assert fresh.client.get(f"/v1/projects/{WK}/settings").json()["remotePlugins"] == []
    finally:
        monkeypatch.undo()
        plugin_files.reset_cache()

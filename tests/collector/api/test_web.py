"""Settings endpoint, analytics.js bundle routes, health, readiness and Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from eventyard.collector import bundle
from eventyard.collector.app import create_app
from tests.collector.api.conftest import BASIC, WK, Collector, RecordingSpool, make_settings


def test_settings_follow_the_request_host_and_scheme(col: Collector) -> None:
    response = col.client.get(f"/v1/projects/{WK}/settings", headers={"Host": "events.shop.example"})
    segment = response.json()["integrations"]["Segment.io"]
    assert segment == segment | {"apiKey": WK, "apiHost": "events.shop.example/v1", "protocol": "http"}
    assert response.json()["metrics"]["host"] == "events.shop.example/v1"


def test_settings_use_the_configured_public_url(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", collector_public_url="https://collect.example.com")
    from tests.collector.api.conftest import seed

    seed(settings)
    app = create_app(settings, spool_factory=lambda _s: RecordingSpool(), run_flusher=False)
    with TestClient(app) as client:
        segment = client.get(f"/v1/projects/{WK}/settings").json()["integrations"]["Segment.io"]
    assert segment["apiHost"] == "collect.example.com/v1" and segment["protocol"] == "https"


@pytest.mark.parametrize("key", ["nosuchkey", "disabledkey", "deletedkey"])
def test_settings_of_unusable_keys(col: Collector, key: str) -> None:
    response = col.client.get(f"/v1/projects/{key}/settings")
    assert response.status_code == 404 and response.json()["success"] is False


@pytest.mark.parametrize("filename", ["analytics.min.js", "metalytics.min.js", f"{WK}.js"])
def test_bundle_is_bound_to_the_key_and_this_collector(col: Collector, filename: str) -> None:
    response = col.client.get(f"/analytics.js/v1/{WK}/{filename}", headers={"Host": "collect.example:9000"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    script = response.text
    assert f'window.analyticsWriteKey="{WK}"' in script
    assert "__WRITE_KEY__" not in script
    assert "http://collect.example:9000/analytics-next/bundles/" in script
    assert '"https://cdn.segment.com"' not in script
    assert ('data-global-segment-analytics-key","metalytics"' in script) == filename.startswith("meta")


def test_bundle_for_unknown_key_and_unknown_file(col: Collector) -> None:
    assert col.client.get("/analytics.js/v1/nosuchkey/analytics.min.js").status_code == 404
    assert col.client.get(f"/analytics.js/v1/{WK}/other.js").status_code == 404


def test_bundle_chunks_are_served(col: Collector) -> None:
    folder = bundle.bundle_dirs()[0]
    name = next(p.name for p in folder.glob("*.bundle.*.js"))
    response = col.client.get(f"/analytics-next/bundles/{name}")
    assert response.status_code == 200 and response.content == (folder / name).read_bytes()
    assert col.client.get("/analytics-next/bundles/..%2Fpackage.json").status_code == 404


def test_bundle_missing_is_a_clear_503(
    col: Collector, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bundle, "bundle_dirs", lambda: [tmp_path / "nothing"])
    bundle.reset_cache()
    try:
        response = col.client.get(f"/analytics.js/v1/{WK}/analytics.min.js")
        assert response.status_code == 503
        assert response.json()["code"] == "bundle_missing" and "npm ci" in response.json()["message"]
    finally:
        monkeypatch.undo()
        bundle.reset_cache()


def test_healthz(col: Collector) -> None:
    assert col.client.get("/healthz").json() == {"status": "ok"}


def test_readiness_fails_when_the_spool_is_unhealthy(col: Collector) -> None:
    assert col.client.get("/readyz").status_code == 200
    col.spool.failing = True
    response = col.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == {"spool": "cannot write"}
    assert col.client.get("/healthz").status_code == 200  # alive, just not ready


def test_readiness_fails_when_the_control_db_is_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    app = create_app(settings, spool_factory=lambda _s: RecordingSpool(), run_flusher=False)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        (tmp_path / "home" / "control.db").unlink()
        (tmp_path / "home" / "control.db").mkdir()  # a directory: SQLite cannot open it
        app.runtime.engine.dispose()
        response = client.get("/readyz")
    assert response.status_code == 503 and "control_db" in response.json()["problems"]


def test_metrics(col: Collector) -> None:
    col.client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=BASIC)
    col.client.post("/v1/batch", json={"batch": [{"type": "track", "event": "E"}], "writeKey": WK})
    col.client.post("/v1/batch", content=b"{", headers=BASIC)
    text = col.client.get("/metrics").text
    assert "eventyard_collector_events_accepted_total" in text
    assert 'eventyard_collector_events_rejected_total{reason="no_user_anon_id"}' in text
    assert 'eventyard_collector_requests_failed_total{code="invalid_json"}' in text
    assert "eventyard_collector_spool_bytes " in text
    assert "eventyard_collector_flush_lag_seconds 1.5" in text
    assert "eventyard_collector_upload_failures 0.0" in text


def test_deployment_entry_point(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib

    from eventyard.collector.app import CollectorApp
    from eventyard.settings import get_settings

    monkeypatch.setenv("EVENTYARD_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        module = importlib.import_module("api.collector")
        module = importlib.reload(module)
        assert isinstance(module.app, CollectorApp)
        assert module.app.runtime.settings.home == tmp_path / "home"
    finally:
        get_settings.cache_clear()


def test_a_spool_that_cannot_open_answers_503_and_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from eventyard.collector import app as app_module
    from eventyard.collector.spool import SpoolUnavailable
    from tests.collector.api.conftest import seed

    settings = make_settings(tmp_path / "home")
    seed(settings)
    spool = RecordingSpool()
    disk_back = threading.Event()

    def open_when_disk_is_back(_settings: object) -> RecordingSpool:
        if not disk_back.is_set():
            raise SpoolUnavailable("read-only file system (simulated)")
        return spool

    monkeypatch.setattr(app_module, "SPOOL_RETRY_S", 0.05)
    app = create_app(settings, spool_factory=open_when_disk_is_back, run_flusher=False)
    event = {"userId": "u", "event": "E"}
    with TestClient(app) as client:
        refused = client.post("/v1/track", json=event, headers=BASIC)
        assert refused.status_code == 503 and refused.json()["code"] == "spool_unavailable"
        assert client.get("/readyz").status_code == 503
        disk_back.set()
        deadline = time.monotonic() + 10
        while app.runtime.spool is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.post("/v1/track", json=event, headers=BASIC).status_code == 200
        assert client.get("/readyz").status_code == 200
    assert len(spool.records) == 1


def test_rudderstack_source_config(col: Collector) -> None:
    response = col.client.get("/sourceConfig/", params={"p": "npm", "v": "3.0.0", "writeKey": WK})
    assert response.status_code == 200
    source = response.json()["source"]
    assert source["writeKey"] == WK and source["enabled"] is True and source["destinations"] == []
    assert source["workspaceId"] == col.ids["acme"]
    by_basic = col.client.get("/sourceConfig", headers=BASIC)
    assert by_basic.status_code == 200
    assert col.client.get("/sourceConfig/", params={"writeKey": "disabledkey"}).status_code == 404
    assert col.client.get("/sourceConfig/").status_code == 400

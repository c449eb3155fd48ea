"""segment-spec §6 acceptance cases that concern the collector (1-14, 24-27), one test each.

Each asserts the HTTP answer and what reached the spool (the stored, enriched message).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from tests.collector.api.conftest import BASIC, CLIENT_IP, WK, Collector, fixed_received, gz


def test_case01_basic_auth_single_track(col: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_received(monkeypatch, "2024-05-01T10:00:00.123Z")
    body = {"userId": "u1", "event": "Item Purchased", "properties": {"revenue": 14.99}}
    response = col.client.post("/v1/track", json=body, headers=BASIC)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    [record] = col.spool.stored()
    assert record["sourceId"] == WK and record["rejected"] is None
    message = record["message"]
    assert message["type"] == "track"
    assert message["messageId"].startswith("api-")
    assert message["receivedAt"] == "2024-05-01T10:00:00.123Z"
    assert message["timestamp"] == "2024-05-01T10:00:00.123Z"
    assert "originalTimestamp" not in message
    assert message["properties"] == {"revenue": 14.99}
    assert message["projectId"] == WK and message["version"] == 2 and message["channel"] == "server"


def test_case02_body_write_key_no_header(col: Collector) -> None:
    body = {"userId": "u1", "event": "Item Purchased", "writeKey": WK}
    response = col.client.post("/v1/track", json=body)
    assert response.status_code == 200 and response.json() == {"success": True}
    [record] = col.spool.stored()
    assert record["sourceId"] == WK
    assert "writeKey" not in record["message"]


def test_case03_clock_skew_correction(col: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_received(monkeypatch, "2015-12-12T19:11:01.266Z")
    body = {
        "userId": "u1",
        "event": "E",
        "timestamp": "2015-12-12T19:11:01.152Z",
        "sentAt": "2015-12-12T19:11:01.169Z",
    }
    assert col.client.post("/v1/track", json=body, headers=BASIC).status_code == 200
    [message] = col.spool.messages()
    assert message["originalTimestamp"] == "2015-12-12T19:11:01.152Z"
    assert message["sentAt"] == "2015-12-12T19:11:01.169Z"
    assert message["receivedAt"] == "2015-12-12T19:11:01.266Z"
    assert message["timestamp"] == "2015-12-12T19:11:01.249Z"


def test_case04_batch_level_sent_at(col: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_received(monkeypatch, "2024-01-01T00:00:05.000Z")
    body = {
        "batch": [{"type": "track", "event": "A", "userId": "u", "timestamp": "2024-01-01T00:00:00.000Z"}],
        "sentAt": "2024-01-01T00:00:10.000Z",
        "writeKey": WK,
    }
    response = col.client.post("/v1/batch", json=body)
    assert response.status_code == 200 and response.json() == {"success": True}
    [message] = col.spool.messages()
    assert message["timestamp"] == "2023-12-31T23:59:55.000Z"
    assert message["originalTimestamp"] == "2024-01-01T00:00:00.000Z"
    assert message["sentAt"] == "2024-01-01T00:00:10.000Z"


def test_case05_analytics_js_short_route(col: Collector) -> None:
    body = {"anonymousId": "a1", "event": "Clicked", "writeKey": WK, "context": {"page": {"path": "/"}}}
    response = col.client.post("/v1/t", content=json.dumps(body), headers={"Content-Type": "text/plain"})
    assert response.status_code == 200 and response.json() == {"success": True}
    [message] = col.spool.messages()
    assert message["type"] == "track"
    assert message["channel"] == "client"
    assert message["context"]["ip"] == CLIENT_IP
    assert message["context"]["page"] == {"path": "/"}


def test_case06_preflight(col: Collector) -> None:
    response = col.client.options(
        "/v1/t",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-retry-count",
        },
    )
    assert 200 <= response.status_code < 300
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-retry-count"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-credentials"] == "true"
    assert int(response.headers["access-control-max-age"]) > 0
    assert col.spool.records == []


def test_case07_settings(col: Collector) -> None:
    response = col.client.get(f"/v1/projects/{WK}/settings", headers={"Host": "collect.example:8443"})
    assert response.status_code == 200
    integrations = response.json()["integrations"]
    assert list(integrations) == ["Segment.io"]
    assert integrations["Segment.io"]["apiKey"] == WK
    assert integrations["Segment.io"]["apiHost"] == "collect.example:8443/v1"


def test_case08_invalid_json(col: Collector) -> None:
    response = col.client.post("/v1/batch", content=b'{"batch":[', headers=BASIC)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["message"] and body["code"] == "invalid_json"
    assert col.spool.records == []


def _single_of_size(size: int) -> bytes:
    base = {"userId": "u1", "event": "E", "properties": {"pad": ""}}
    body = orjson.dumps(base)
    base["properties"]["pad"] = "x" * (size - len(body))
    body = orjson.dumps(base)
    assert len(body) == size
    return body


def test_case09_single_too_large(col: Collector) -> None:
    ok = col.client.post("/v1/track", content=_single_of_size(32768), headers=BASIC)
    assert ok.status_code == 200 and ok.json() == {"success": True}
    too_big = col.client.post("/v1/track", content=_single_of_size(32769), headers=BASIC)
    assert too_big.status_code == 400
    assert too_big.json()["success"] is False and too_big.json()["code"] == "payload_too_large"
    assert len(col.spool.records) == 1


def batch_of_size(size: int, item: dict[str, object], **top: object) -> bytes:
    """A batch JSON body of exactly ``size`` bytes (padded by a top-level field)."""
    base: dict[str, object] = {"batch": [item], **top, "pad": ""}
    body = orjson.dumps(base)
    base["pad"] = "x" * (size - len(body))
    body = orjson.dumps(base)
    assert len(body) == size
    return body


def test_case10_batch_too_large_after_gunzip(col: Collector) -> None:
    item = {"type": "track", "event": "A", "userId": "u"}
    gzip_header = {**BASIC, "Content-Encoding": "gzip"}
    ok = col.client.post("/v1/batch", content=gz(batch_of_size(511999, item)), headers=gzip_header)
    assert ok.status_code == 200 and ok.json() == {"success": True}
    assert len(col.spool.records) == 1
    too_big = col.client.post("/v1/batch", content=gz(batch_of_size(512001, item)), headers=gzip_header)
    assert too_big.status_code == 400
    assert too_big.json()["code"] == "payload_too_large"
    # MetaRouter SDKs halve their batch on 413 (they drop it on 400).
    mr_item = {**item, "writeKey": WK, "context": {"library": {"name": "metarouter-android-sdk"}}}
    mr = col.client.post(
        "/v1/batch", content=gz(batch_of_size(512001, mr_item)), headers={"Content-Encoding": "gzip"}
    )
    assert mr.status_code == 413
    assert len(col.spool.records) == 1


def test_case11_malformed_gzip(col: Collector) -> None:
    response = col.client.post(
        "/v1/batch", content=b"this is not gzip", headers={**BASIC, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["message"] == "Malformed gzip content"
    assert col.spool.records == []


def test_case12_per_event_rejection(col: Collector) -> None:
    batch = [
        {"type": "track", "event": "A", "userId": "u1", "messageId": "m1"},
        {"type": "track", "event": "B", "messageId": "m2"},
        {"type": "track", "event": "C", "anonymousId": "a3", "messageId": "m3"},
        {"type": "track", "userId": "u4", "messageId": "m4"},
    ]
    response = col.client.post("/v1/batch", json={"batch": batch, "writeKey": WK})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["accepted"] == 2
    assert [(r["index"], r["messageId"], r["code"]) for r in body["rejected"]] == [
        (1, "m2", "no_user_anon_id"),
        (3, "m4", "missing_event"),
    ]
    assert [m["messageId"] for m in col.spool.messages()] == ["m1", "m3"]
    # The rejected events are spooled too, with their reason (never silently dropped).
    rejected = {r["message"]["messageId"]: r["rejected"] for r in col.spool.stored() if r["rejected"]}
    assert rejected["m2"]["code"] == "no_user_anon_id" and rejected["m2"]["reason"]
    assert rejected["m4"]["code"] == "missing_event"


def test_case13_null_ids_from_python(col: Collector) -> None:
    batch = [{"type": "track", "event": "A", "userId": "u1", "anonymousId": None, "messageId": "p1"}]
    response = col.client.post("/v1/batch", json={"batch": batch, "writeKey": WK})
    assert response.status_code == 200 and response.json() == {"success": True}
    [message] = col.spool.messages()
    assert message["userId"] == "u1" and message["anonymousId"] is None


def test_case14_duplicate_message_id(col: Collector) -> None:
    body = {"userId": "u1", "event": "Dup", "messageId": "dup-1"}
    first = col.client.post("/v1/track", json=body, headers=BASIC)
    second = col.client.post("/v1/track", json=body, headers=BASIC)
    assert first.status_code == second.status_code == 200
    # Both are acknowledged and kept with the client's id; warehouses dedupe on it (id column).
    assert [m["messageId"] for m in col.spool.messages()] == ["dup-1", "dup-1"]


def test_case24_metarouter_page(col: Collector) -> None:
    item = {
        "type": "page",
        "event": "Home",
        "anonymousId": "a",
        "writeKey": WK,
        "messageId": "1700000000000-uuid",
        "timestamp": "2024-01-01T00:00:00.000Z",
        "sentAt": "2024-01-01T00:00:01.000Z",
        "properties": {"path": "/"},
        "context": {"library": {"name": "metarouter-react-native-sdk"}},
    }
    response = col.client.post("/v1/batch", json={"batch": [item]})
    assert response.status_code == 200 and response.json() == {"success": True}
    [record] = col.spool.stored()
    assert record["sourceId"] == WK
    message = record["message"]
    assert message["name"] == "Home" and "event" not in message
    assert message["properties"] == {"path": "/"}
    assert message["channel"] == "mobile"


def test_case25_metarouter_alias(col: Collector) -> None:
    item = {"type": "alias", "userId": "u2", "anonymousId": "a9", "writeKey": WK, "messageId": "al-1"}
    response = col.client.post("/v1/batch", json={"batch": [item]})
    assert response.status_code == 200 and response.json() == {"success": True}
    [message] = col.spool.messages()
    assert message["userId"] == "u2" and message["previousId"] == "a9"


def test_case26_rudderstack_event(col: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_received(monkeypatch, "2024-01-01T00:00:03.000Z")
    body = {
        "anonymousId": "a",
        "event": "X",
        "originalTimestamp": "2024-01-01T00:00:00.000Z",
        "sentAt": "2024-01-01T00:00:01.000Z",
        "channel": "web",
    }
    headers = {**BASIC, "AnonymousId": "YQ==", "Content-Type": "application/json;charset=UTF-8"}
    response = col.client.post("/v1/track", content=json.dumps(body), headers=headers)
    assert response.status_code == 200
    [message] = col.spool.messages()
    assert message["timestamp"] == "2024-01-01T00:00:02.000Z"
    assert message["originalTimestamp"] == "2024-01-01T00:00:00.000Z"
    assert message["channel"] == "web"


def test_case27_metrics_endpoint(col: Collector) -> None:
    series = {"series": [{"type": "Counter", "metric": "analytics_js.invoke", "value": 1, "tags": {}}]}
    response = col.client.post("/v1/m", content=json.dumps(series), headers={"Content-Type": "text/plain"})
    assert response.status_code == 200 and response.json() == {"success": True}
    assert col.spool.records == []


@pytest.mark.parametrize(
    ("batch_level", "check"),
    [
        ({"sentAt": "2024-01-01T00:00:10.000Z"}, lambda m: m["sentAt"] == "2024-01-01T00:00:10.000Z"),
        ({"context": {"locale": "de-DE"}}, lambda m: m["context"]["locale"] == "de-DE"),
        ({"integrations": {"Amplitude": False}}, lambda m: m["integrations"] == {"Amplitude": False}),
    ],
)
def test_each_batch_level_default_alone_reaches_the_stored_event(
    col: Collector, batch_level: dict[str, Any], check: Callable[[dict[str, Any]], bool]
) -> None:
    item = {"type": "track", "event": "E", "userId": "u", "timestamp": "2024-01-01T00:00:00.000Z"}
    response = col.client.post("/v1/batch", json={"batch": [item], **batch_level}, headers=BASIC)
    assert response.status_code == 200 and response.json() == {"success": True}
    [message] = col.spool.messages()
    assert check(message)

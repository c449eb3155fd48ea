"""Every tracking route and request form of segment-spec §1.1: paths, GET/PUT, base64, JSONP, pixel."""

from __future__ import annotations

import json

import orjson
import pytest

from tests.collector.api.conftest import BASIC, WK, Collector, b64

SINGLE = {
    "identify": {"userId": "u", "traits": {"plan": "pro"}},
    "track": {"userId": "u", "event": "E"},
    "page": {"anonymousId": "a", "name": "Home"},
    "screen": {"anonymousId": "a", "name": "Main"},
    "group": {"userId": "u", "groupId": "g1"},
    "alias": {"userId": "u", "previousId": "p"},
}


@pytest.mark.parametrize("kind", sorted(SINGLE))
def test_full_word_routes_imply_the_type(col: Collector, kind: str) -> None:
    response = col.client.post(f"/v1/{kind}", json=SINGLE[kind], headers=BASIC)
    assert response.status_code == 200 and response.json() == {"success": True}
    [message] = col.spool.messages()
    assert message["type"] == kind and message["channel"] == "server"
    assert "ip" not in message.get("context", {})


@pytest.mark.parametrize("kind", sorted(SINGLE))
def test_short_client_routes(col: Collector, kind: str) -> None:
    response = col.client.post(f"/v1/{kind[0]}", content=json.dumps({**SINGLE[kind], "writeKey": WK}))
    assert response.status_code == 200
    [message] = col.spool.messages()
    assert message["type"] == kind and message["channel"] == "client"


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/import", "/v1/b"])
def test_batch_routes(col: Collector, path: str) -> None:
    batch = [{"type": kind, **body} for kind, body in SINGLE.items()]
    response = col.client.post(path, json={"batch": batch, "writeKey": WK})
    assert response.status_code == 200 and response.json() == {"success": True}
    assert [m["type"] for m in col.spool.messages()] == list(SINGLE)
    expected_channel = "client" if path == "/v1/b" else "server"
    assert {m["channel"] for m in col.spool.messages()} == {expected_channel}


@pytest.mark.parametrize("path", ["/V1/Track", "/v1/track/", "/V1/BATCH/"])
def test_paths_are_lower_cased_and_one_trailing_slash_stripped(col: Collector, path: str) -> None:
    body = {"batch": [SINGLE["track"] | {"type": "track"}]} if "batch" in path.lower() else SINGLE["track"]
    assert col.client.post(path, json=body, headers=BASIC).status_code == 200
    assert len(col.spool.messages()) == 1


def test_two_trailing_slashes_are_not_a_route(col: Collector) -> None:
    assert col.client.post("/v1/track//", json=SINGLE["track"], headers=BASIC).status_code == 404


def test_put_on_client_route(col: Collector) -> None:
    response = col.client.put("/v1/t", content=json.dumps({**SINGLE["track"], "writeKey": WK}))
    assert response.status_code == 200
    assert col.spool.messages()[0]["event"] == "E"


@pytest.mark.parametrize(("urlsafe", "padded"), [(False, True), (False, False), (True, True), (True, False)])
def test_get_with_base64_data_all_four_variants(col: Collector, urlsafe: bool, padded: bool) -> None:
    # "??>" encodes to "Pz8+" / "Pz8-": the alphabets differ, so each variant is really exercised.
    payload = orjson.dumps({"userId": "u", "event": "??>", "writeKey": WK, "properties": {"k": "ü"}})
    response = col.client.get("/v1/t", params={"data": b64(payload, urlsafe=urlsafe, padded=padded)})
    assert response.status_code == 200
    [message] = col.spool.messages()
    assert message["event"] == "??>" and message["properties"] == {"k": "ü"}


def test_get_is_refused_on_server_routes(col: Collector) -> None:
    response = col.client.get("/v1/track", params={"data": b64(b"{}")})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_jsonp_callback(col: Collector) -> None:
    data = b64(orjson.dumps({"userId": "u", "event": "E", "writeKey": WK}))
    response = col.client.get("/v1/t", params={"data": data, "callback": "cb_1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.text == 'typeof cb_1 == "function" && cb_1({ success: true });'
    assert len(col.spool.messages()) == 1


def test_jsonp_callback_that_is_not_an_identifier_is_ignored(col: Collector) -> None:
    data = b64(orjson.dumps({"userId": "u", "event": "E", "writeKey": WK}))
    response = col.client.get("/v1/t", params={"data": data, "callback": "alert(1)//"})
    assert response.json() == {"success": True}


@pytest.mark.parametrize("kind", sorted(SINGLE))
def test_pixel_with_base64_data(col: Collector, kind: str) -> None:
    data = b64(orjson.dumps({**SINGLE[kind], "writeKey": WK}), urlsafe=True, padded=False)
    response = col.client.get(f"/v1/pixel/{kind}", params={"data": data})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and len(response.content) == 43
    [message] = col.spool.messages()
    assert message["type"] == kind and message["channel"] == "client"


def test_pixel_with_dotted_query_keys(col: Collector) -> None:
    params = {
        "writeKey": WK,
        "userId": "u7",
        "event": "Email Opened",
        "properties.subject": "Welcome",
        "properties.campaign.name": "spring",
    }
    response = col.client.get("/v1/pixel/track", params=params)
    assert response.status_code == 200 and response.content.startswith(b"GIF89a")
    [message] = col.spool.messages()
    assert message["event"] == "Email Opened"
    assert message["properties"] == {"subject": "Welcome", "campaign": {"name": "spring"}}


def test_pixel_of_unknown_type(col: Collector) -> None:
    assert col.client.get("/v1/pixel/bogus", params={"writeKey": WK}).status_code == 404


def test_cors_headers_on_tracking_answers(col: Collector) -> None:
    response = col.client.post(
        "/v1/t",
        content=json.dumps({**SINGLE["track"], "writeKey": WK}),
        headers={"Origin": "https://shop.example"},
    )
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_preflight_without_requested_headers_allows_the_analytics_next_ones(col: Collector) -> None:
    response = col.client.options("/v1/batch", headers={"Origin": "https://a.example"})
    assert response.status_code == 204
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "x-retry-count" in allowed


def test_pixel_with_data_and_write_key_in_the_query(col: Collector) -> None:
    data = b64(orjson.dumps({"userId": "u", "event": "Opened"}))
    response = col.client.get("/v1/pixel/track", params={"data": data, "writeKey": WK})
    assert response.status_code == 200
    assert col.spool.stored()[0]["sourceId"] == WK


def test_pixel_without_any_key_is_refused(col: Collector) -> None:
    response = col.client.get("/v1/pixel/track", params={"userId": "u", "event": "Opened"})
    assert response.status_code == 401 and response.json()["code"] == "missing_write_key"


def test_unknown_paths_and_methods_get_json_errors(col: Collector) -> None:
    missing = col.client.post("/v1/nope", json={})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = col.client.post(f"/v1/projects/{WK}/settings")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"

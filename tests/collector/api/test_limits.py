"""Limits and per-event validation (segment-spec §1.3-§1.4): whole-request errors vs rejected events."""

from __future__ import annotations

import orjson
import pytest

from eventyard.collector.landing_writer import parse_records
from eventyard.collector.parsing import BodyTooLarge, gunzip_capped
from eventyard.collector.validate import CUT_MARKER, MAX_EVENT_DEPTH
from tests.collector.api.conftest import BASIC, WK, Collector, gz


def post_batch(col: Collector, batch: list[object]) -> dict[str, object]:
    response = col.client.post("/v1/batch", json={"batch": batch, "writeKey": WK})
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def rejected_codes(body: dict[str, object]) -> list[tuple[int, str]]:
    return [(r["index"], r["code"]) for r in body["rejected"]]  # type: ignore[attr-defined]


def test_more_than_2500_events_answers_200_and_rejects_the_extras(col: Collector) -> None:
    batch = [{"type": "track", "event": "E", "userId": "u", "messageId": f"m{i}"} for i in range(2503)]
    body = post_batch(col, batch)
    assert body["accepted"] == 2500
    assert rejected_codes(body) == [(i, "too_many_events") for i in (2500, 2501, 2502)]
    assert len(col.spool.messages()) == 2500 and len(col.spool.records) == 2503


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"type": "track", "event": "E"}, "no_user_anon_id"),
        ({"type": "track", "event": "E", "userId": "", "anonymousId": None}, "no_user_anon_id"),
        ({"type": "track", "userId": "u"}, "missing_event"),
        ({"type": "track", "userId": "u", "event": ""}, "missing_event"),
        ({"type": "group", "userId": "u"}, "missing_group_id"),
        ({"type": "alias", "anonymousId": "a", "previousId": "p"}, "missing_user_id"),
        ({"type": "alias", "userId": "u"}, "missing_previous_id"),
        ({"type": "purchase", "userId": "u"}, "invalid_type"),
        ({"event": "E", "userId": "u"}, "invalid_type"),
        ({"type": "track", "event": "E", "userId": {"id": 1}}, "invalid_id"),
        ({"type": "track", "event": "E", "userId": "u", "messageId": "x" * 101}, "message_id_too_long"),
        ("not an object", "not_an_object"),
        (None, "not_an_object"),
    ],
)
def test_invalid_event_is_rejected_alone(col: Collector, item: object, code: str) -> None:
    good = {"type": "track", "event": "E", "userId": "u", "messageId": "good"}
    body = post_batch(col, [good, item])
    assert body["accepted"] == 1
    assert rejected_codes(body) == [(1, code)]
    [rejected] = [r for r in col.spool.stored() if r["rejected"]]
    assert rejected["rejected"]["code"] == code and rejected["rejected"]["reason"]
    assert rejected["sourceId"] == WK
    assert isinstance(rejected["message"]["messageId"], str) and isinstance(rejected["message"]["type"], str)


def test_message_id_of_exactly_100_chars_is_fine(col: Collector) -> None:
    body = post_batch(col, [{"type": "track", "event": "E", "userId": "u", "messageId": "x" * 100}])
    assert body == {"success": True}


def test_numeric_ids_are_stored_as_strings(col: Collector) -> None:
    post_batch(col, [{"type": "track", "event": "E", "userId": 42, "messageId": 7}])
    [message] = col.spool.messages()
    assert message["userId"] == "42" and message["messageId"] == "7"


def test_event_over_32kb_inside_a_batch_is_rejected_alone(col: Collector) -> None:
    big = {"type": "track", "event": "E", "userId": "u", "properties": {"pad": "x" * 33000}}
    body = post_batch(col, [big, {"type": "track", "event": "E", "userId": "u"}])
    assert body["accepted"] == 1 and rejected_codes(body) == [(0, "event_too_large")]


def test_body_that_is_json_but_not_an_object(col: Collector) -> None:
    response = col.client.post("/v1/track", content=b"[1,2]", headers=BASIC)
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    batch = col.client.post("/v1/batch", content=b'{"batch": {}}', headers=BASIC)
    assert batch.status_code == 400 and batch.json()["code"] == "invalid_request"


def test_body_parsed_as_json_whatever_the_content_type(col: Collector) -> None:
    body = orjson.dumps({"userId": "u", "event": "E"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/octet-stream"):
        response = col.client.post("/v1/track", content=body, headers={**BASIC, "Content-Type": content_type})
        assert response.status_code == 200
    assert len(col.spool.messages()) == 3


def test_gzip_single_request(col: Collector) -> None:
    body = gz(orjson.dumps({"userId": "u", "event": "E"}))
    response = col.client.post("/v1/track", content=body, headers={**BASIC, "Content-Encoding": "gzip"})
    assert response.status_code == 200 and len(col.spool.messages()) == 1


def test_truncated_gzip_is_malformed(col: Collector) -> None:
    body = gz(orjson.dumps({"batch": [{"type": "track", "event": "E", "userId": "u"}]}))[:-12]
    response = col.client.post("/v1/batch", content=body, headers={**BASIC, "Content-Encoding": "gzip"})
    assert response.status_code == 400 and response.json()["message"] == "Malformed gzip content"


def test_gzip_bomb_is_never_inflated_past_the_cap() -> None:
    bomb = gz(b"0" * 50_000_000)  # ~50 KB compressed
    with pytest.raises(BodyTooLarge):
        gunzip_capped(bomb, 512000)
    # Multi-member gzip (concatenated streams) is one body.
    assert gunzip_capped(gz(b"ab") + gz(b"cd"), 10) == b"abcd"
    with pytest.raises(BodyTooLarge):
        gunzip_capped(gz(b"a" * 6) + gz(b"b" * 6), 10)


def test_unwritable_spool_answers_503_never_200(col: Collector) -> None:
    col.spool.failing = True
    response = col.client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=BASIC)
    assert response.status_code == 503
    assert response.json()["code"] == "spool_unavailable"
    assert response.headers["retry-after"] == "1"


def nested(levels: int) -> object:
    """Objects nested ``levels`` deep (``{"a": {"a": ... 1}}``)."""
    value: object = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def deep_event(depth: int, message_id: str) -> dict[str, object]:
    """A valid track event whose nesting is exactly ``depth`` (the event itself is level 1)."""
    return {
        "type": "track",
        "event": "E",
        "userId": "u",
        "messageId": message_id,
        "properties": nested(depth - 1),
    }


def test_an_event_nested_too_deep_is_rejected_alone_and_its_neighbours_land(col: Collector) -> None:
    before = {"type": "track", "event": "E", "userId": "u", "messageId": "before"}
    after = {**before, "messageId": "after"}
    body = post_batch(
        col, [before, deep_event(MAX_EVENT_DEPTH + 1, "too-deep"), deep_event(600, "far"), after]
    )
    assert body["accepted"] == 2
    assert rejected_codes(body) == [(1, "event_too_deep"), (2, "event_too_deep")]
    assert [m["messageId"] for m in col.spool.messages()] == ["before", "after"]
    rejected = [r for r in col.spool.stored() if r["rejected"]]
    assert [r["message"]["messageId"] for r in rejected] == ["too-deep", "far"]
    assert (
        rejected[0]["rejected"]["reason"] == f"objects/arrays nested more than {MAX_EVENT_DEPTH} levels deep"
    )
    assert CUT_MARKER in orjson.dumps(rejected[0]["message"]).decode()  # kept, cut for inspection
    # Every record, accepted or rejected, lands: the flusher's parser reads them all.
    parsed = parse_records(col.spool.records)
    assert parsed.column("reject_code").to_pylist() == [None, "event_too_deep", "event_too_deep", None]


def test_the_depth_limit_is_exact_and_holds_on_every_route(col: Collector) -> None:
    assert post_batch(col, [deep_event(MAX_EVENT_DEPTH, "deepest")]) == {"success": True}
    [message] = col.spool.messages()
    assert parse_records(col.spool.records).column("message_id").to_pylist() == ["deepest"]
    assert message["messageId"] == "deepest"
    # A batch over 32 KB (each item's size is then measured) and a single-event route.
    padded = [{"type": "track", "event": "E", "userId": "u", "properties": {"pad": "x" * 20000}}] * 2
    body = post_batch(col, [*padded, deep_event(MAX_EVENT_DEPTH + 1, "too-deep")])
    assert body["accepted"] == 2 and rejected_codes(body) == [(2, "event_too_deep")]
    single = col.client.post("/v1/track", json=deep_event(300, "single"), headers=BASIC)
    assert single.status_code == 200
    assert [r["code"] for r in single.json()["rejected"]] == ["event_too_deep"]

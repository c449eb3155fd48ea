"""Unit tests of the pure enrichment functions, with segment-spec's worked examples."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from eventyard.collector.enrich import (
    RequestInfo,
    apply_batch_defaults,
    correct_clock_skew,
    derive_channel,
    enrich,
    format_timestamp,
    normalize_sdk_quirks,
    parse_timestamp,
    received_now,
)
from eventyard.collector.timestamps import MAX_MS, MIN_MS, format_millis, millis_of, to_millis

RA = datetime(2015, 12, 12, 19, 11, 1, 266000, tzinfo=UTC)


def info(**kw: Any) -> RequestInfo:
    values: dict[str, Any] = {"received": RA, "source_id": "src", "channel": "server"}
    values.update(kw)
    return RequestInfo(values.pop("received"), values.pop("source_id"), values.pop("channel"), **values)


def skew(message: dict[str, Any]) -> dict[str, Any]:
    correct_clock_skew(message, millis_of(RA), format_timestamp(RA))
    return message


def test_worked_example_of_the_track_spec() -> None:
    message = skew({"timestamp": "2015-12-12T19:11:01.152Z", "sentAt": "2015-12-12T19:11:01.169Z"})
    assert message["originalTimestamp"] == "2015-12-12T19:11:01.152Z"
    assert message["timestamp"] == "2015-12-12T19:11:01.249Z"
    assert message["sentAt"] == "2015-12-12T19:11:01.169Z"


def test_without_sent_at_the_client_timestamp_is_trusted() -> None:
    message = skew({"timestamp": "2015-12-12T19:11:01.152Z"})
    assert message["timestamp"] == message["originalTimestamp"] == "2015-12-12T19:11:01.152Z"


def test_without_any_client_timestamp_the_event_happened_on_arrival() -> None:
    message = skew({"sentAt": "2015-12-12T19:11:01.169Z"})
    assert message["timestamp"] == "2015-12-12T19:11:01.266Z" and "originalTimestamp" not in message


def test_rudderstack_original_timestamp_plays_the_client_timestamp() -> None:
    message = skew({"originalTimestamp": "2015-12-12T19:11:00.000Z", "sentAt": "2015-12-12T19:11:01.000Z"})
    assert message["timestamp"] == "2015-12-12T19:11:00.266Z"


def test_offsets_and_naive_timestamps_are_normalized_to_utc_z() -> None:
    message = skew({"timestamp": "2015-12-12T20:11:01.152+01:00", "sentAt": "2015-12-12T19:11:01.169"})
    assert message["originalTimestamp"] == "2015-12-12T19:11:01.152Z"
    assert message["sentAt"] == "2015-12-12T19:11:01.169Z"


def test_unparseable_timestamps_are_kept_aside() -> None:
    message = skew({"timestamp": "yesterday", "sentAt": 12})
    assert message["timestamp"] == "2015-12-12T19:11:01.266Z"
    assert "sentAt" not in message and "originalTimestamp" not in message
    assert message["invalidTimestamps"] == {"timestamp": "yesterday", "sentAt": 12}


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({"timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T00:00:00Z"}, "2015-12-12T19:11:01.266Z"),
        ({"timestamp": "0001-01-01T00:00:00Z"}, "2015-12-12T19:11:01.266Z"),
        ({"timestamp": "9999-12-31T23:59:59.999Z"}, "2015-12-12T19:11:01.266Z"),
        # The audit's case: a sentAt in year 0001 pushed the corrected time to the year 4029.
        (
            {"timestamp": "2015-12-12T19:11:01.152Z", "sentAt": "0001-01-01T00:00:00Z"},
            "2015-12-12T19:11:01.152Z",
        ),
        ({"timestamp": "1969-12-31T23:59:59.999Z"}, "2015-12-12T19:11:01.266Z"),
        ({"timestamp": "1970-01-01T00:00:00.000Z"}, "1970-01-01T00:00:00.000Z"),  # historical imports pass
        ({"timestamp": "2015-12-13T19:11:01.266Z"}, "2015-12-13T19:11:01.266Z"),  # a day of clock drift
        ({"timestamp": "2015-12-13T19:11:01.267Z"}, "2015-12-12T19:11:01.266Z"),
    ],
)
def test_timestamp_stays_in_a_sane_window_and_original_timestamp_as_sent(
    sent: dict[str, Any], expected: str
) -> None:
    message = skew(dict(sent))
    assert message["timestamp"] == expected
    assert message["originalTimestamp"] == to_millis(sent["timestamp"])[1]  # type: ignore[index]


def test_batch_defaults_fill_but_never_override() -> None:
    message: dict[str, Any] = {"context": {"ip": "1.1.1.1"}, "integrations": {"All": False}}
    apply_batch_defaults(
        message,
        info(
            batch_sent_at="2024-01-01T00:00:10.000Z",
            batch_context={"ip": "9.9.9.9", "library": {"name": "x"}},
            batch_integrations={"All": True, "Amplitude": True},
        ),
    )
    assert message["sentAt"] == "2024-01-01T00:00:10.000Z"
    assert message["context"] == {"ip": "1.1.1.1", "library": {"name": "x"}}
    assert message["integrations"] == {"All": False, "Amplitude": True}


@pytest.mark.parametrize("kind", ["page", "screen"])
def test_metarouter_page_and_screen_name_sent_as_event(kind: str) -> None:
    message: dict[str, Any] = {"type": kind, "event": "Home"}
    normalize_sdk_quirks(message)
    assert message == {"type": kind, "name": "Home"}
    named: dict[str, Any] = {"type": kind, "event": "X", "name": "Kept"}
    normalize_sdk_quirks(named)
    assert named == {"type": kind, "name": "Kept"}


def test_metarouter_alias_and_top_level_group_id() -> None:
    alias: dict[str, Any] = {"type": "alias", "userId": "u2", "anonymousId": "a9", "groupId": None}
    normalize_sdk_quirks(alias)
    assert alias == {"type": "alias", "userId": "u2", "anonymousId": "a9", "previousId": "a9"}
    track: dict[str, Any] = {"type": "track", "groupId": "g1", "context": {"ip": "1"}}
    normalize_sdk_quirks(track)
    assert track == {"type": "track", "context": {"ip": "1", "groupId": "g1"}}
    group: dict[str, Any] = {"type": "group", "groupId": "g1"}
    normalize_sdk_quirks(group)
    assert group == {"type": "group", "groupId": "g1"}


def test_enrich_sets_server_fields_and_drops_the_write_key() -> None:
    message = enrich({"type": "identify", "userId": "u", "writeKey": "src"}, info())
    assert message["messageId"].startswith("api-") and "writeKey" not in message
    assert message["receivedAt"] == "2015-12-12T19:11:01.266Z"
    assert message["projectId"] == "src" and message["version"] == 2 and message["channel"] == "server"
    assert "context" not in message  # no ip on server routes


def test_context_ip_on_client_routes_and_direct_only() -> None:
    client = enrich({"type": "track"}, info(channel="client", client_ip="198.51.100.4"))
    assert client["context"]["ip"] == "198.51.100.4"
    kept = enrich(
        {"type": "track", "context": {"ip": "1.2.3.4"}}, info(channel="client", client_ip="5.6.7.8")
    )
    assert kept["context"]["ip"] == "1.2.3.4"
    direct = enrich({"type": "track", "context": {"direct": True}}, info(client_ip="198.51.100.4"))
    assert direct["context"]["ip"] == "198.51.100.4"
    ipv6 = enrich({"type": "track"}, info(channel="client", client_ip="2001:db8::1"))
    assert "ip" not in ipv6.get("context", {})


@pytest.mark.parametrize(
    ("library", "channel"),
    [
        ("analytics-ios", "mobile"),
        ("com.segment.analytics.kotlin", "mobile"),
        ("metarouter-react-native-sdk", "mobile"),
        ("analytics-python", "server"),
    ],
)
def test_channel(library: str, channel: str) -> None:
    assert derive_channel({"context": {"library": {"name": library}}}, "server") == channel


def test_parse_and_received_now() -> None:
    assert parse_timestamp("2024-01-01T00:00:00Z") == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_timestamp(None) is None and parse_timestamp("nope") is None
    moment, text = received_now()
    assert moment.microsecond % 1000 == 0 and text == format_timestamp(moment) and text.endswith("Z")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"),  # fast path, canonical already
        ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"),
        ("2024-02-29T23:59:59.1234567Z", "2024-02-29T23:59:59.123Z"),
        ("2024-03-01T01:59:59.999+02:00", "2024-02-29T23:59:59.999Z"),
        ("2024-02-29T23:59:59.999", "2024-02-29T23:59:59.999Z"),  # no zone means UTC
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ("0001-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z"),
        ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
    ],
)
def test_timestamp_text_round_trips_through_milliseconds(text: str, expected: str) -> None:
    parsed = to_millis(text)
    assert parsed is not None and parsed[1] == expected
    assert format_millis(parsed[0]) == expected
    moment = datetime.fromisoformat(expected)
    assert parsed[0] == round((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


@pytest.mark.parametrize(
    "text",
    [
        "2024-13-01T00:00:00.000Z",
        "2024-01-01T24:00:00.000Z",
        "2024-01-01T00:00:00.0a0Z",
        "2024-01-01T00:00:00.\u0661\u0662\u0663Z",  # Arabic-Indic digits are digits, not ASCII
        "",
        "soon",
        "2024-01-01 00:00:00.000X",
    ],
)
def test_malformed_timestamps_are_refused(text: str) -> None:
    assert to_millis(text) is None


def test_millisecond_range_limits() -> None:
    assert format_millis(MIN_MS) == "0001-01-01T00:00:00.000Z"
    assert format_millis(MAX_MS) == "9999-12-31T23:59:59.999Z"
    assert to_millis(1700000000000) is None  # numbers are not ISO-8601 strings


def test_every_unparseable_client_clock_is_kept_aside_in_the_order_sent() -> None:
    message = skew({"timestamp": "yesterday", "originalTimestamp": "earlier", "sentAt": "now"})
    assert list(message["invalidTimestamps"].items()) == [
        ("timestamp", "yesterday"),
        ("originalTimestamp", "earlier"),
        ("sentAt", "now"),
    ]
    assert message["timestamp"] == "2015-12-12T19:11:01.266Z"
    assert "originalTimestamp" not in message and "sentAt" not in message


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        ({}, False),
        ({"batch_context": {}, "batch_integrations": {}}, False),  # empty: nothing to fill
        ({"batch_sent_at": "2024-01-01T00:00:00.000Z"}, True),
        ({"batch_context": {"ip": "1.1.1.1"}}, True),
        ({"batch_integrations": {"All": False}}, True),
    ],
)
def test_a_request_says_whether_its_events_take_batch_defaults(batch: dict[str, Any], expected: bool) -> None:
    assert info(**batch).has_batch_defaults is expected

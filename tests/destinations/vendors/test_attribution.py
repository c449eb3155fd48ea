"""Attribution against a receiver enforcing its import API contract."""

from __future__ import annotations

from eventyard.destinations.base import Outcome
from eventyard.destinations.vendors._message import parse_time
from eventyard.destinations.vendors.attribution import Attribution
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import make

WRITE_KEY = "attr-project-9c1d"
TYPES = {"track", "identify", "page", "screen", "group", "alias"}


def attribution_contract(request: harness.Received) -> harness.Reply:
    """Basic auth with the write key as user; ``{"batch": [...]}`` of Segment-spec messages."""
    harness.check(request.method == "POST" and request.path == "/v1/import", 404, {"error": "Not Found"})
    credentials = harness.basic_credentials(request)
    harness.check(credentials == (WRITE_KEY, ""), 401, {"error": f"Unauthorized project {credentials}"})
    harness.check(len(request.body) <= 500_000, 413, {"error": "Request too large"})
    batch = request.json().get("batch")
    harness.check(
        isinstance(batch, list) and 0 < len(batch) <= 100, 400, {"error": "batch must hold 1-100 messages"}
    )
    for message in batch:
        harness.check(message.get("type") in TYPES, 400, {"error": "invalid type"})
        harness.check(bool(message.get("messageId")), 400, {"error": "messageId is required"})
        harness.check(
            parse_time(message.get("timestamp")) is not None, 400, {"error": "timestamp must be ISO-8601"}
        )
        harness.check(
            bool(message.get("userId") or message.get("anonymousId")), 400, {"error": "no identity"}
        )
        if message["type"] == "track":
            harness.check(bool(message.get("event")), 400, {"error": "track needs event"})
        if message["type"] == "alias":
            harness.check(bool(message.get("previousId")), 400, {"error": "alias needs previousId"})
        if message["type"] == "group":
            harness.check(bool(message.get("groupId")), 400, {"error": "group needs groupId"})
    return harness.Reply(200, {"success": True})


SPEC = harness.VendorSpec(
    Attribution,
    {"writeKey": WRITE_KEY},
    {},
    attribution_contract,
    harness.ErrorContract(
        throttled=harness.Reply(429, {"error": "rate limited"}, {"Retry-After": "12"}),
        retry_after=12,
        too_large=harness.Reply(413, {"error": "Request too large"}),
        credential="writeKey",
        wrong_value="a-wrong-key",
        denied_says="a-wrong-key",  # Attribution names the project it refused (redacted before storing)
    ),
)


def test_every_call_type_is_accepted(vendor: Attribution, receiver: harness.Receiver, messages) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success"] and not delivery.skipped
    batch = receiver.accepted[0].json()["batch"]
    assert [m["type"] for m in batch] == list(messages)
    track = batch[0]
    assert track["traits"]["plan"] == "pro"  # context.traits ride along on track
    assert batch[5]["previousId"] == "a_9f1b2c" and batch[4]["groupId"] == "g_77"


def test_batches_of_more_than_100_are_cut(vendor: Attribution, receiver: harness.Receiver) -> None:
    delivery = harness.deliver(vendor, [make("track", n) for n in range(150)])
    assert delivery.outcomes == ["success", "success"]
    assert [len(r.json()["batch"]) for r in receiver.accepted] == [100, 50]


def test_a_track_without_event_is_dropped(vendor: Attribution, receiver: harness.Receiver) -> None:
    invalid = harness.deliver(vendor, [make("track", event="")])
    assert invalid.results[0][2].outcome is Outcome.DROP


def test_batch_limit(vendor: Attribution, receiver: harness.Receiver) -> None:
    harness.assert_batch_limit(vendor, receiver, [make("identify", n) for n in range(101)], "default")

"""HubSpot against a receiver enforcing contact batch upsert and custom event batches."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eventyard.destinations.base import InvalidMessage, Outcome
from eventyard.destinations.vendors._message import parse_time
from eventyard.destinations.vendors.hubspot import Hubspot, property_name
from tests.destinations.drive import run_engine
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import make

TOKEN = "pat-na1-4c1f7e"
PORTAL_PROPERTIES = {
    "email",
    "firstname",
    "lastname",
    "phone",
    "plan",
    "createdat",
    "city",
    "country",
    "address",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]+$", re.IGNORECASE)


def hubspot_error(status: int, message: str, category: str = "VALIDATION_ERROR") -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": "c0ffee", "category": category}


class Portal:
    """A HubSpot portal: contacts by email, events deduplicated by uuid."""

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}

    def __call__(self, request: harness.Received) -> harness.Reply:
        auth = request.headers.get("authorization", "")
        harness.check(
            auth == f"Bearer {TOKEN}",
            401,
            hubspot_error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION"),
        )
        inputs = request.json().get("inputs")
        harness.check(
            isinstance(inputs, list) and bool(inputs), 400, hubspot_error(400, "inputs is required")
        )
        if request.path == "/crm/v3/objects/contacts/batch/upsert":
            harness.check(
                len(inputs) <= 100, 400, hubspot_error(400, "Batch input must have at most 100 items")
            )
            return self._upsert(inputs)
        harness.check(
            request.path == "/events/v3/send/batch", 404, hubspot_error(404, "Not found", "OBJECT_NOT_FOUND")
        )
        harness.check(len(inputs) <= 500, 400, hubspot_error(400, "Batch input must have at most 500 items"))
        for event in inputs:
            harness.check(
                bool(re.match(r"^pe\d+_[a-z0-9_]+$", str(event.get("eventName")))),
                400,
                hubspot_error(400, "Event not found"),
            )
            harness.check(
                parse_time(event.get("occurredAt")) is not None,
                400,
                hubspot_error(400, "occurredAt must be ISO-8601"),
            )
            harness.check(
                bool(event.get("email") or event.get("utk") or event.get("objectId")),
                400,
                hubspot_error(400, "one of email, utk or objectId is required"),
            )
        for event in inputs:
            self.events.setdefault(event["uuid"], event)
        return harness.Reply(204, b"")

    def _upsert(self, inputs: list[dict[str, Any]]) -> harness.Reply:
        """Multi-status as HubSpot documents it: each input's ``objectWriteTraceId`` is echoed in
        its result, or named in ``errors[].context.objectWriteTraceId``."""
        traces = [item.get("objectWriteTraceId") for item in inputs]
        harness.check(
            all(isinstance(t, str) for t in traces) and len(set(traces)) == len(traces),
            400,
            hubspot_error(400, "objectWriteTraceId must be unique strings for multi-status"),
        )
        errors, results = [], []
        for item in inputs:
            unknown = set(item["properties"]) - PORTAL_PROPERTIES
            problem = None
            if item.get("idProperty") != "email" or not EMAIL.match(str(item.get("id"))):
                problem = f"Invalid email address {item.get('id')}"
            elif unknown:
                problem = f"Property {sorted(unknown)[0]!r} does not exist"
            elif any(isinstance(v, dict | list) for v in item["properties"].values()):
                problem = "Property values must be scalars"
            trace = item["objectWriteTraceId"]
            if problem:
                errors.append({**hubspot_error(400, problem), "context": {"objectWriteTraceId": [trace]}})
            else:
                self.contacts[item["id"]] = item["properties"]
                results.append(
                    {
                        "id": str(len(self.contacts)),
                        "properties": item["properties"],
                        "objectWriteTraceId": trace,
                    }
                )
        body = {"status": "COMPLETE", "results": results}
        if errors:
            return harness.Reply(207, {**body, "numErrors": len(errors), "errors": errors})
        return harness.Reply(200, body)


SPEC = harness.VendorSpec(Hubspot, {"accessToken": TOKEN, "hubID": "1234567"}, {}, Portal)


def _identify(number: int, **traits: Any) -> dict[str, Any]:
    message = make("identify", number)
    message["traits"] = {"email": "jo@example.com", "firstName": "Jo", "plan": "pro", **traits}
    return message


def test_identify_and_track_accepted(vendor: Hubspot, contract: Portal, messages) -> None:
    messages["identify"]["traits"].pop("createdAt")
    delivery = harness.deliver(vendor, list(messages.values()))
    assert set(delivery.outcomes) == {"success"} and len(delivery.outcomes) == 2
    assert set(delivery.skipped) == {"m-page-1", "m-screen-1", "m-group-1", "m-alias-1"}
    assert contract.contacts["jo@example.com"] == {
        "email": "jo@example.com",
        "firstname": "Jo",
        "lastname": "Doe",
        "plan": "pro",
        "city": "Paris",
        "country": "FR",
    }
    (event,) = contract.events.values()
    assert event["eventName"] == "pe1234567_order_completed" and event["email"] == "Jo@Example.com"
    assert event["properties"]["shipping"] == '{"method":"express","cost":4}'


def test_configured_events_only_and_resend_is_the_same_occurrence(vendor: Hubspot, contract: Portal) -> None:
    vendor.config["hubspotEvents"] = [
        {
            "eventName": "Order Completed",
            "hubspotEventName": "pe1234567_purchase",
            "eventProperties": [{"from": "revenue", "to": "amount"}],
        }
    ]
    delivery = harness.deliver(vendor, [make("track"), make("track", 2, event="Cart Viewed")])
    assert "not one of the configured" in delivery.skipped["m-track-2"]
    harness.deliver(vendor, [make("track")])
    (event,) = contract.events.values()
    assert (event["eventName"], event["properties"]) == ("pe1234567_purchase", {"amount": 42.5})


def test_multi_status_fails_only_the_named_contacts(vendor: Hubspot, contract: Portal) -> None:
    good, bad = _identify(1), _identify(2, email="not-an-email", favoriteColor="blue")
    odd = _identify(4, email="kim@example.com", favoriteColor="green")  # a property the portal lacks
    run = run_engine(vendor, [good, _identify(3, email="sam@example.com"), bad, odd])
    assert run.statuses() == {
        "m-identify-1": "delivered",
        "m-identify-3": "delivered",
        "m-identify-2": "dead",
        "m-identify-4": "dead",
    }
    assert "Invalid email" in run.results["m-identify-2"].error
    assert "favoritecolor" in run.results["m-identify-4"].error
    assert set(contract.contacts) == {"jo@example.com", "sam@example.com"}
    assert run.stats.requests == 1  # nothing resent: every input was confirmed or refused


@pytest.mark.parametrize(
    "answer",
    [
        harness.Reply(200, {"status": "COMPLETE", "results": [], "errors": []}),
        harness.Reply(200, {"status": "COMPLETE", "results": [{"id": "1", "objectWriteTraceId": "0"}]}),
    ],
    ids=["nothing", "one of two"],
)
def test_an_answer_that_does_not_confirm_an_input_is_not_a_success(
    vendor: Hubspot, receiver: harness.Receiver, answer: harness.Reply
) -> None:
    records = [r for n in (1, 2) for r in vendor.transform(_identify(n, email=f"u{n}@example.com"))]
    classification = harness.fault(vendor, receiver, answer, records)
    confirmed = [] if not answer.body["results"] else [0]
    assert classification.outcome is Outcome.PARTIAL and not classification.failed
    assert classification.retry == tuple(i for i in (0, 1) if i not in confirmed)
    # Through the engine: retried (the next answer is the real portal's), never counted delivered.
    receiver.faults.append(answer)
    run = run_engine(vendor, [_identify(n, email=f"u{n}@example.com") for n in (1, 2)])
    assert set(run.statuses().values()) == {"delivered"} and run.stats.retried_records == 2 - len(confirmed)


def test_property_names_and_required_lookup(vendor: Hubspot) -> None:
    assert property_name("Favorite Color.primary") == "favorite_color_primary"
    with pytest.raises(InvalidMessage, match=r"traits\.email"):
        vendor.transform(make("identify", traits={"plan": "pro"}))
    with pytest.raises(InvalidMessage, match="email"):
        vendor.transform(make("track", context={}))


def test_rate_limits_and_auth(vendor: Hubspot, receiver: harness.Receiver) -> None:
    records = vendor.transform(make("track"))
    ten_second = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "TEN_SECONDLY_ROLLING",
    }
    assert harness.fault(vendor, receiver, harness.Reply(429, ten_second), records).retry_after == 10
    daily = {**ten_second, "policyName": "DAILY"}
    assert (
        0 < (harness.fault(vendor, receiver, harness.Reply(429, daily), records).retry_after or 0) <= 86_400
    )
    assert (
        harness.fault(vendor, receiver, harness.Reply(502, "bad gateway"), records).outcome is Outcome.RETRY
    )
    assert (
        harness.fault(vendor, receiver, harness.Reply(413, "Request Entity Too Large"), records).outcome
        is Outcome.SPLIT
    )
    vendor.connection["accessToken"] = "pat-na1-revoked"
    denied = vendor.classify(harness.send(vendor, "events", records), records)
    assert denied.outcome is Outcome.DROP and "INVALID_AUTHENTICATION" in denied.error
    assert "pat-na1-revoked" not in vendor.redact(str(vendor.build_request("events", records).headers))


def test_batch_limits_are_hubspots(vendor: Hubspot, receiver: harness.Receiver) -> None:
    harness.assert_batch_limit(
        vendor, receiver, [_identify(n, email=f"u{n}@example.com") for n in range(101)], "contacts"
    )
    harness.assert_batch_limit(vendor, receiver, [make("track", n) for n in range(501)], "events")

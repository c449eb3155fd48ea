"""Braze against a receiver enforcing /users/track, /users/identify and /users/merge."""

from __future__ import annotations

import time
from typing import Any

from eventyard.destinations.base import Outcome
from eventyard.destinations.vendors._message import parse_time
from eventyard.destinations.vendors.braze import Braze, cluster_host
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import make

API_KEY = "braze-rest-key-3f9a"
NO_DATA = {"message": "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."}
NO_ID = "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required"


class BrazeWorkspace:
    """What Braze keeps: objects by array, alias identifications, merges, and the alias-only
    profiles that exist (Braze drops an alias object unless its profile exists or the object
    says ``_update_existing_only: false``, without an error)."""

    def __init__(self) -> None:
        self.objects: dict[str, list[dict[str, Any]]] = {"attributes": [], "events": [], "purchases": []}
        self.identified: list[dict[str, Any]] = []
        self.merges: list[dict[str, Any]] = []
        self.aliases: set[str] = set()
        self.dropped: list[dict[str, Any]] = []

    def __call__(self, request: harness.Received) -> harness.Reply:
        token = request.headers.get("authorization", "")
        harness.check(token == f"Bearer {API_KEY}", 401, {"message": f"Invalid API key: {token[7:]}"})
        body = request.json()
        if request.path == "/users/identify":
            aliases = body.get("aliases_to_identify") or []
            harness.check(0 < len(aliases) <= 50, 400, {"message": "aliases_to_identify: 1 to 50 entries"})
            for alias in aliases:
                harness.check(
                    bool(alias.get("external_id") and alias.get("user_alias", {}).get("alias_name")),
                    400,
                    NO_DATA,
                )
            self.identified.extend(aliases)
            return harness.Reply(201, {"message": "success"})
        if request.path == "/users/merge":
            updates = body.get("merge_updates") or []
            harness.check(0 < len(updates) <= 50, 400, {"message": "merge_updates: 1 to 50 entries"})
            self.merges.extend(updates)
            return harness.Reply(202, {"message": "success"})
        harness.check(request.path == "/users/track", 404, {"message": "Not Found"})
        harness.check(any(body.get(a) for a in self.objects), 400, NO_DATA)
        harness.check(
            sum(len(body.get(a, [])) for a in self.objects) <= 75,
            400,
            {"message": "Too many objects: max 75"},
        )
        errors = []
        for array in self.objects:
            for index, item in enumerate(body.get(array, [])):
                problem = _problem(array, item)
                if problem:
                    errors.append({"type": problem, "input_array": array, "index": index})
                elif not self._profile_for(item):
                    self.dropped.append(item)  # "Update Only" on an unknown alias: silently nothing
                else:
                    self.objects[array].append(item)
        reply: dict[str, Any] = {"message": "success"}
        if errors:
            reply["errors"] = errors
        return harness.Reply(201, reply)

    def _profile_for(self, item: dict[str, Any]) -> bool:
        """Whether the object's profile exists or may be created (Braze's update-only rules)."""
        alias = item.get("user_alias")
        if item.get("external_id") or not isinstance(alias, dict):
            return item.get("_update_existing_only") is not True
        name = f"{alias.get('alias_label')}:{alias.get('alias_name')}"
        if item.get("_update_existing_only") is False:
            self.aliases.add(name)
        return name in self.aliases


def _problem(array: str, item: dict[str, Any]) -> str | None:
    if not (item.get("external_id") or item.get("user_alias") or item.get("braze_id")):
        return NO_ID
    if array != "attributes" and parse_time(item.get("time")) is None:
        return "'time' must be an ISO 8601 string"
    if array == "events" and not isinstance(item.get("name"), str):
        return "'name' is required"
    if array == "purchases":
        if not isinstance(item.get("price"), int | float) or len(str(item.get("currency"))) != 3:
            return "'price' and a 3-letter 'currency' are required"
        if not 1 <= int(item.get("quantity", 1)) <= 100:
            return "'quantity' must be between 1 and 100"
    return None


SPEC = harness.VendorSpec(
    Braze, {"restApiKey": API_KEY, "dataCenter": "US-03", "appKey": "app-1"}, {}, BrazeWorkspace
)


def test_cluster_hosts() -> None:
    assert cluster_host("US-03") == "https://rest.iad-03.braze.com"
    assert cluster_host("eu-01") == "https://rest.fra-01.braze.eu"
    assert cluster_host("AU-01") == "https://rest.au-01.braze.com"


def test_every_call_type_is_accepted(vendor: Braze, contract: BrazeWorkspace, messages) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert set(delivery.outcomes) == {"success"} and not delivery.skipped
    event = contract.objects["events"][0]
    assert (
        event["external_id"] == "u_123" and event["name"] == "Order Completed" and event["app_id"] == "app-1"
    )
    purchase = contract.objects["purchases"][0]
    assert (purchase["product_id"], purchase["price"], purchase["currency"]) == ("sku_1", 42.5, "USD")
    names = [e["name"] for e in contract.objects["events"]]
    assert names == ["Order Completed", "Viewed Shop Checkout Page", "Viewed Cart Screen"]
    profile, group = contract.objects["attributes"]
    assert profile["first_name"] == "Jo" and profile["home_city"] == "Paris"
    assert group["ab_segment_group_g_77"] is True
    assert contract.identified == [
        {"external_id": "u_123", "user_alias": {"alias_name": "a_9f1b2c", "alias_label": "anonymous_id"}}
    ]
    assert contract.merges[0]["identifier_to_keep"] == {"external_id": "u_123"}


def test_anonymous_users_get_an_alias_only_profile_and_their_data_is_kept(
    vendor: Braze, contract: BrazeWorkspace
) -> None:
    anonymous = [
        make("track", 1, event="Signed Up", userId=None),
        make("identify", 2, userId=None),
        make("page", 3, userId=None),
        make("track", 4, userId=None),  # Order Completed: an event and a purchase
    ]
    delivery = harness.deliver(vendor, anonymous)
    assert set(delivery.outcomes) == {"success"}
    assert contract.dropped == []
    kept = [o for array in contract.objects.values() for o in array]
    assert len(kept) == 5 and all(o["user_alias"]["alias_name"] == "a_9f1b2c" for o in kept)
    assert all(o["_update_existing_only"] is False for o in kept)
    # Identified users never carry the flag (Braze creates their profile by default).
    harness.deliver(vendor, [make("track", 5)])
    assert "_update_existing_only" not in contract.objects["events"][-1]


def test_string_list_errors_are_minor_and_fail_nothing(vendor: Braze, receiver: harness.Receiver) -> None:
    records = vendor.transform(make("track"))
    minor = harness.fault(
        vendor,
        receiver,
        harness.Reply(201, {"message": "success", "errors": ["minor error message"]}),
        records,
    )
    assert minor.outcome is Outcome.SUCCESS
    mixed = {
        "message": "success",
        "errors": ["minor", {"type": "bad", "input_array": "purchases", "index": 0}],
    }
    partial = harness.fault(vendor, receiver, harness.Reply(201, mixed), records)
    assert partial.outcome is Outcome.PARTIAL and [records[i].payload["array"] for i in partial.failed] == [
        "purchases"
    ]


def test_object_errors_fail_only_their_records(vendor: Braze, contract: BrazeWorkspace) -> None:
    bulk = make("track", 2)
    bulk["properties"]["products"] = [{"product_id": "sku_2", "price": 1.0, "quantity": 500}]
    delivery = harness.deliver(vendor, [make("track", 1), bulk])
    (records, _, classification) = delivery.results[0]
    assert classification.outcome is Outcome.PARTIAL and not classification.retry_failed
    assert [records[i].payload["array"] for i in classification.failed] == ["purchases"]
    assert [records[i].message_id for i in classification.failed] == ["m-track-2"]
    assert "quantity" in next(iter(classification.failed.values()))


def test_more_than_75_objects_are_cut_into_requests(vendor: Braze, receiver: harness.Receiver) -> None:
    delivery = harness.deliver(vendor, [make("page", n) for n in range(80)])
    assert delivery.outcomes == ["success", "success"]


def test_rate_limit_reset_and_errors(vendor: Braze, receiver: harness.Receiver) -> None:
    records = vendor.transform(make("page"))
    reset = str(int(time.time()) + 30)
    throttled = harness.fault(
        vendor,
        receiver,
        harness.Reply(429, {"message": "rate limited"}, {"X-RateLimit-Reset": reset}),
        records,
    )
    assert throttled.outcome is Outcome.RETRY and 10 <= (throttled.retry_after or 0) <= 31
    assert (
        harness.fault(vendor, receiver, harness.Reply(500, {"message": "oops"}), records).outcome
        is Outcome.RETRY
    )
    too_large = harness.fault(
        vendor, receiver, harness.Reply(413, {"message": "Request Entity Too Large"}), records
    )
    assert too_large.outcome is Outcome.SPLIT
    vendor.connection["restApiKey"] = "leaked-key-5555"
    denied = vendor.classify(harness.send(vendor, "track", records), records)
    assert denied.outcome is Outcome.DROP and "leaked-key-5555" in denied.error
    assert "leaked-key-5555" not in vendor.redact(denied.error)


def test_batch_limits_are_brazes(vendor: Braze, receiver: harness.Receiver) -> None:
    harness.assert_batch_limit(vendor, receiver, [make("page", n) for n in range(76)], "track")
    harness.assert_batch_limit(vendor, receiver, [make("alias", n) for n in range(51)], "merge")

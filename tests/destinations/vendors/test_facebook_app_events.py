"""Facebook App Events against a receiver enforcing the Graph activities edge (and CAPI for apps)."""

from __future__ import annotations

import json
import re
from typing import Any

from eventyard.destinations.base import Outcome
from eventyard.destinations.vendors.facebook_app_events import FacebookAppEvents, app_event_name
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import TIMESTAMP, make

TOKEN = "APP1|client-token-4242"
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\- ]{0,39}$")


def invalid(user_msg: str) -> None:
    error = {
        "message": "Invalid parameter",
        "type": "OAuthException",
        "code": 100,
        "error_user_msg": user_msg,
    }
    raise harness.ContractError(harness.Reply(400, {"error": error}))


class MetaApp:
    """The app's event log (activities edge) and its linked dataset (Conversions API)."""

    def __init__(self) -> None:
        self.activities: list[dict[str, Any]] = []
        self.capi: dict[str, dict[str, Any]] = {}

    def __call__(self, request: harness.Received) -> harness.Reply:
        if request.path == "/v25.0/DS1/events":
            body = request.json()
            for event in body["data"]:
                if (
                    event.get("action_source") != "app"
                    or len(event.get("app_data", {}).get("extinfo", [])) != 16
                ):
                    invalid("app events need action_source app and app_data.extinfo")
                self.capi.setdefault(event["event_id"], event)
            return harness.Reply(200, {"events_received": len(body["data"]), "fbtrace_id": "x"})
        if request.path != "/v25.0/APP1/activities":
            raise harness.ContractError(
                harness.Reply(404, {"error": {"message": "Unknown path", "code": 803}})
            )
        form = request.form()
        if form.get("access_token") != TOKEN:
            raise harness.ContractError(
                harness.Reply(400, {"error": {"message": "Invalid OAuth access token", "code": 190}})
            )
        if form.get("event") not in {"CUSTOM_APP_EVENTS", "MOBILE_APP_INSTALL"}:
            invalid("event must be CUSTOM_APP_EVENTS or MOBILE_APP_INSTALL")
        if form.get("advertiser_tracking_enabled") not in {"0", "1"} or not (
            form.get("advertiser_id") or form.get("anon_id")
        ):
            invalid("advertiser_tracking_enabled and advertiser_id or anon_id are required")
        info = json.loads(form.get("extinfo", "[]"))
        if len(info) != 16 or info[0] not in {"a2", "i2"} or not all(isinstance(x, str) for x in info):
            invalid("extinfo must be an array of 16 strings starting with a2 or i2")
        if form["event"] == "CUSTOM_APP_EVENTS":
            (custom,) = json.loads(form.get("custom_events", "[]"))
            if not NAME.match(str(custom.get("_eventName"))) or not isinstance(custom.get("_logTime"), int):
                invalid("_eventName (<=40 chars) and _logTime (unix seconds) are required")
            if "fb_currency" in custom and not re.fullmatch(r"[A-Z]{3}", custom["fb_currency"]):
                invalid("fb_currency must be ISO 4217")
        self.activities.append(form)
        return harness.Reply(200, {"success": True})


SPEC = harness.VendorSpec(FacebookAppEvents, {"appID": "APP1", "accessToken": TOKEN}, {}, MetaApp)


def test_track_and_screen_are_accepted(vendor: FacebookAppEvents, contract: MetaApp, messages) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success", "success"]
    assert set(delivery.skipped) == {"m-identify-1", "m-page-1", "m-group-1", "m-alias-1"}
    purchase, screen = contract.activities
    (custom,) = json.loads(purchase["custom_events"])
    assert custom["_eventName"] == "fb_mobile_purchase" and custom["_logTime"] == int(TIMESTAMP.timestamp())
    assert (custom["_valueToSum"], custom["fb_currency"]) == (42.5, "USD")
    assert purchase["advertiser_id"] == "38400000-8cf0-11bd-b23e-10b96e40000d" and "anon_id" not in purchase
    assert json.loads(purchase["extinfo"])[:4] == ["i2", "com.example.shop", "321", "3.2.1"]
    assert json.loads(screen["custom_events"])[0]["_eventName"] == "Viewed Cart Screen"


def test_install_and_custom_names(vendor: FacebookAppEvents, contract: MetaApp) -> None:
    install = make("track", 2, event="Application Installed")
    odd = make("track", 3, event="Level 3 — Boss Defeated! (hard mode, second try)")
    assert harness.deliver(vendor, [install, odd]).outcomes == ["success", "success"]
    assert (
        contract.activities[0]["event"] == "MOBILE_APP_INSTALL"
        and "custom_events" not in contract.activities[0]
    )
    assert (
        app_event_name("Level 3 — Boss Defeated! (hard mode, second try)")
        == "Level 3 _ Boss Defeated_ _hard mode_ sec"
    )


def test_conversions_api_variant_dedupes_on_event_id(vendor: FacebookAppEvents, contract: MetaApp) -> None:
    vendor.connection["datasetId"] = "DS1"
    harness.deliver(vendor, [make("track"), make("screen")])
    harness.deliver(vendor, [make("track")])
    assert sorted(contract.capi) == ["m-screen-1", "m-track-1"]
    assert contract.capi["m-track-1"]["user_data"]["madid"] == "38400000-8cf0-11bd-b23e-10b96e40000d"


def test_graph_errors(vendor: FacebookAppEvents, receiver: harness.Receiver) -> None:
    records = vendor.transform(make("track", properties={"currency": "dollars", "revenue": 1}))
    bad = vendor.classify(harness.send(vendor, records[0].route, records), records)
    assert bad.outcome is Outcome.DROP and "ISO 4217" in bad.error  # one event per request: nothing to split
    throttled = harness.fault(
        vendor,
        receiver,
        harness.Reply(400, {"error": {"message": "Application request limit", "code": 4}}),
        records,
    )
    assert throttled.outcome is Outcome.RETRY and throttled.retry_after == 60
    vendor.connection["accessToken"] = "APP1|stolen-token-99"
    denied = vendor.classify(harness.send(vendor, records[0].route, records), records)
    assert denied.outcome is Outcome.DROP
    assert "stolen-token-99" not in vendor.redact(
        f"{denied.error} {vendor.build_request('activities', records).body!r}"
    )

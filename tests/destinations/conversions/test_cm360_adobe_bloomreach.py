"""Campaign Manager 360 conversions (OAuth), Adobe's Data Insertion API (XML) and Bloomreach's
tracking batch against receivers enforcing their contracts, through the engine."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from eventyard.destinations.vendors.adobe_analytics import AdobeAnalytics
from eventyard.destinations.vendors.bloomreach import Bloomreach
from eventyard.destinations.vendors.doubleclick import CampaignManager
from tests.destinations.conversions.helpers import HEX64, RAW_EMAIL, TokenEndpoint, conversion, token_server
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, running
from tests.destinations.vendors import harness


class Cm360:
    """Bearer token; ≤1,000 conversions of the configuration; one click id or hashed identifiers;
    per-row ``status[].errors`` with ``hasFailures``; INTERNAL rows are transient."""

    def __init__(self, tokens: TokenEndpoint) -> None:
        self.tokens = tokens
        self.rows: dict[str, dict[str, Any]] = {}
        self.flaky: set[str] = set()

    def __call__(self, request: Received) -> Reply:
        check(
            self.tokens.accepts(request),
            401,
            {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "Invalid Credentials"}},
        )
        check(
            request.path == "/dfareporting/v5/userprofiles/777/conversions/batchinsert",
            404,
            {"error": {"code": 404, "message": "?"}},
        )
        body = request.json()
        rows = body.get("conversions") or []
        check(
            body.get("kind") == "dfareporting#conversionsBatchInsertRequest" and 0 < len(rows) <= 1000,
            400,
            {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "1 to 1000 conversions"}},
        )
        statuses, failures = [], False
        for row in rows:
            errors = []
            ids = [k for k in ("gclid", "dclid", "matchId") if row.get(k)]
            hashed = row.get("userIdentifiers") or []
            if row.get("floodlightConfigurationId") != "9001" or row.get("floodlightActivityId") not in (
                "301",
                "302",
            ):
                errors.append({"code": "NOT_FOUND", "message": "Floodlight activity not found"})
            elif len(ids) + bool(hashed) != 1 or any(not HEX64.match(next(iter(h.values()))) for h in hashed):
                errors.append({"code": "INVALID_ARGUMENT", "message": "exactly one identifier, hashed"})
            elif row["ordinal"] in self.flaky:
                self.flaky.discard(row["ordinal"])
                errors.append({"code": "INTERNAL", "message": "Internal error"})
            else:
                self.rows[row["ordinal"]] = row
            failures = failures or bool(errors)
            statuses.append({"kind": "dfareporting#conversionStatus", "conversion": row, "errors": errors})
        return Reply(
            200,
            {
                "kind": "dfareporting#conversionsBatchInsertResponse",
                "hasFailures": failures,
                "status": statuses,
            },
        )


@pytest.fixture
def cm360() -> Iterator[tuple[Cm360, VendorReceiver, TokenEndpoint]]:
    endpoint = TokenEndpoint("cm-client", "cm-secret", "1//cm-refresh")
    with token_server(endpoint) as tokens:
        api = Cm360(endpoint)
        with running(api) as receiver:
            integration_urls = (receiver.url, f"{tokens.url}/token")
            yield api, receiver, endpoint, integration_urls  # type: ignore[misc]


def test_campaign_manager(cm360) -> None:
    api, _, endpoint, (base, token_url) = cm360
    connection = {
        "profileId": "777",
        "floodlightConfigurationId": "9001",
        "advertiserId": "1",
        "oauthClientId": "cm-client",
        "oauthClientSecret": "cm-secret",
        "refreshToken": "1//cm-refresh",
    }
    integration = CampaignManager(
        connection, {"floodlightActivityIds": {"Order Completed": "301", "Lead": "999"}}
    )
    integration.base_url, integration.token_url = base, token_url
    api.flaky.add("o_3")
    messages = [
        conversion(number=1, click_ids={"gclid": "g-1"}, properties={"order_id": "o_1", "revenue": 10}),
        conversion(number=2, properties={"order_id": "o_2"}),
        conversion(number=3, click_ids={"dclid": "d-3"}, properties={"order_id": "o_3"}),
        conversion(number=4, event="Lead", click_ids={"gclid": "g-4"}),
        conversion("page", 5),
    ]
    run = run_engine(integration, messages)
    assert run.statuses() == {
        "m-track-1": "delivered",
        "m-track-2": "delivered",
        "m-track-3": "delivered",
        "m-track-4": "dead",
        "m-page-5": "skipped",
    }
    assert "NOT_FOUND" in run.results["m-track-4"].error and run.stats.requests == 2  # INTERNAL row resent
    assert api.rows["o_1"]["gclid"] == "g-1" and api.rows["o_1"]["value"] == 10
    assert set(api.rows["o_2"]["userIdentifiers"][0]) == {"hashedEmail"} and api.rows["o_3"]["dclid"] == "d-3"
    assert len(endpoint.issued) == 1


def adobe_contract(request: Received) -> Reply:
    """XML ``<request>`` with a report suite, a visitor and a timestamp; FAILURE with a reason."""
    check(request.path == "/b/ss//6" and request.headers.get("content-type") == "text/xml", 404, "Not Found")
    root = ET.fromstring(request.body)
    problems = []
    if root.findtext("reportSuiteID") != "acmeprod,acmeglobal":
        problems.append("report suite does not exist")
    if not (root.findtext("visitorID") or root.findtext("marketingCloudVisitorID")):
        problems.append("a visitor id is required")
    if not root.findtext("timestamp"):
        problems.append("timestamp required for a timestamp-enabled report suite")
    if not (root.findtext("pageName") or root.findtext("linkName")):
        problems.append("pageName or linkName required")
    if problems:
        return Reply(
            200, f"<?xml version='1.0'?><status>FAILURE</status><reason>{'; '.join(problems)}</reason>"
        )
    return Reply(200, "<?xml version='1.0' encoding='UTF-8'?>\n<status>SUCCESS</status>")


def test_adobe_analytics() -> None:
    with running(adobe_contract) as receiver:
        settings = {
            "trackingServerUrl": "example.sc.omtrdc.net",
            "reportSuiteIds": ["acmeprod", "acmeglobal"],
        }
        config = {
            "eVarMapping": {"plan": "eVar5", "email": "eVar6"},
            "eventsToAdobeEvents": {"Order Completed": "event7"},
            "contextDataMapping": {"coupon": "coupon"},
        }
        integration = AdobeAnalytics(settings, config)
        integration.scheme = "http"
        integration.connection["trackingServerUrl"] = receiver.url.removeprefix("http://")
        track = conversion(
            properties={
                "order_id": "o_9",
                "revenue": 9,
                "plan": "pro",
                "email": RAW_EMAIL,
                "coupon": "X1",
                "products": [{"sku": "s-1", "quantity": 2, "price": 4.5}],
            }
        )
        run = run_engine(
            integration, [track, conversion("page", 2), conversion("screen", 3), conversion("identify", 4)]
        )
        assert run.statuses() == {
            "m-track-1": "delivered",
            "m-page-2": "delivered",
            "m-screen-3": "delivered",
            "m-identify-4": "skipped",
        }
        hits = [ET.fromstring(r.body) for r in receiver.accepted]
        hit = next(h for h in hits if h.findtext("linkName") == "Order Completed")
        assert hit.findtext("events") == "purchase,event7" and hit.findtext("products") == ";s-1;2;4.5"
        assert (hit.findtext("purchaseID"), hit.findtext("eVar5"), hit.findtext("eVar6")) == (
            "o_9",
            "pro",
            None,
        )
        assert hit.findtext("contextData/coupon") == "X1" and hit.findtext("linkType") == "o"
        integration.connection["reportSuiteIds"] = ["nope"]
        failed = run_engine(integration, [conversion("page", 7)])
        assert (
            failed.statuses() == {"m-page-7": "dead"}
            and "report suite does not exist" in failed.results["m-page-7"].error
        )


class BloomreachProject:
    """Basic auth, ≤50 commands, known command names with customer_ids; per-command results."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []

    def __call__(self, request: Received) -> Reply:
        auth = base64.b64encode(b"key-id:key-secret").decode()
        check(
            request.headers.get("authorization") == f"Basic {auth}",
            401,
            {"success": False, "errors": ["access key not valid"]},
        )
        check(
            request.path == "/track/v2/projects/proj-token-1/batch",
            404,
            {"success": False, "errors": ["project not found"]},
        )
        commands = request.json().get("commands") or []
        check(0 < len(commands) <= 50, 400, {"success": False, "errors": ["1 to 50 commands"]})
        results = []
        for command in commands:
            data = command.get("data") or {}
            ok = command.get("name") in ("customers", "customers/events") and bool(data.get("customer_ids"))
            ok = ok and (command["name"] == "customers" or data.get("event_type") != "forbidden")
            results.append({"success": True} if ok else {"success": False, "errors": ["invalid command"]})
            if ok:
                self.commands.append(command)
        return Reply(200, {"success": True, "results": results})


def test_bloomreach() -> None:
    project = BloomreachProject()
    with running(project) as receiver:
        connection = {
            "apiBaseUrl": receiver.url,
            "projectToken": "proj-token-1",
            "apiKey": "key-id",
            "apiSecret": "key-secret",
        }
        integration = Bloomreach(connection, {"hardID": "registered", "softID": "cookie"})
        kinds = ("track", "identify", "page", "screen", "group", "alias")
        messages = [conversion(kind) for kind in kinds] + [conversion(number=9, event="forbidden")]
        run = run_engine(integration, messages)
        assert run.statuses() == {
            "m-track-1": "delivered",
            "m-identify-1": "delivered",
            "m-page-1": "delivered",
            "m-screen-1": "delivered",
            "m-group-1": "skipped",
            "m-alias-1": "skipped",
            "m-track-9": "dead",
        }
        customer = next(c for c in project.commands if c["name"] == "customers")["data"]
        assert customer["customer_ids"] == {"registered": "u_123", "cookie": "a_9f1b2c"}
        assert "email" not in customer["properties"] and customer["properties"]["plan"] == "pro"
        integration.config["forwardContactDetails"] = True
        run_engine(integration, [conversion("identify", 2)])
        assert (
            project.commands[-1]["data"]["properties"]["email"] == RAW_EMAIL
        )  # the customer's own CDP, opted in
        harness.assert_batch_limit(
            integration, receiver, [conversion(number=n) for n in range(51)], "default"
        )

"""LinkedIn Conversions API against a receiver enforcing its Rest.li batch-create contract and an
OAuth token endpoint, through the engine."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from eventyard.destinations.vendors.linkedin_insight_tag import LinkedInConversions
from tests.destinations.conversions.helpers import (
    HEX64,
    NORMALIZED_EMAIL,
    TokenEndpoint,
    conversion,
    sha,
    token_server,
)
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, running
from tests.destinations.vendors import harness

RULES = {"104", "105"}
FAT = "df8b7b4e-5e2a-4d3a-9f7c-1b2c3d4e5f60"


class ConversionEvents:
    """Bearer token, LinkedIn-Version, Rest.li 2.0 BATCH_CREATE of ≤5,000 elements; each element
    needs a known rule URN, ms ≤ 90 days old, a hashed email or li_fat_id; per-element statuses."""

    def __init__(self, tokens: TokenEndpoint | None, static: str | None = None) -> None:
        self.tokens, self.static = tokens, static
        self.events: dict[tuple[str, str], dict[str, Any]] = {}

    def __call__(self, request: Received) -> Reply:
        authorized = (self.tokens is not None and self.tokens.accepts(request)) or (
            self.static is not None and request.headers.get("authorization") == f"Bearer {self.static}"
        )
        revoked = {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN",
                   "message": "The token used in the request has been revoked by the user"}  # fmt: skip
        check(authorized, 401, revoked)
        check(request.path == "/rest/conversionEvents", 404, {"status": 404, "message": "Not Found"})
        check(re.fullmatch(r"20\d{4}", request.headers.get("linkedin-version", "")) is not None, 400,
              {"status": 400, "code": "VERSION_MISSING", "message": "A version must be present"})  # fmt: skip
        check(
            request.headers.get("x-restli-protocol-version") == "2.0.0",
            400,
            {"status": 400, "message": "Rest.li 2.0.0"},
        )
        check(
            request.headers.get("x-restli-method") == "BATCH_CREATE",
            400,
            {"status": 400, "message": "Batch only"},
        )
        elements = request.json().get("elements") or []
        check(0 < len(elements) <= 5000, 400, {"status": 400, "message": "1 to 5000 elements"})
        statuses = []
        for element in elements:
            problem = self._problem(element)
            if problem:
                statuses.append({"status": 400, "error": {"status": 400, "message": problem}})
            else:
                self.events[(element["conversion"], element["eventId"])] = element
                statuses.append({"status": 201})
        return Reply(200, {"elements": statuses})

    def _problem(self, element: dict[str, Any]) -> str | None:
        rule = str(element.get("conversion", "")).rpartition(":")[2]
        if (
            not str(element.get("conversion", "")).startswith("urn:lla:llaPartnerConversion:")
            or rule not in RULES
        ):
            return "Conversion rule does not exist"
        happened = element.get("conversionHappenedAt")
        if not isinstance(happened, int) or happened < (time.time() - 90 * 86400) * 1000:
            return "conversionHappenedAt must be epoch ms within 90 days"
        ids = (element.get("user") or {}).get("userIds") or []
        kinds = {i.get("idType") for i in ids}
        if not kinds & {"SHA256_EMAIL", "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"}:
            return "user needs SHA256_EMAIL or LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"
        if any(i["idType"] == "SHA256_EMAIL" and not HEX64.match(i["idValue"]) for i in ids):
            return "SHA256_EMAIL must be a SHA-256 hash"
        value = element.get("conversionValue")
        if value is not None and not (
            isinstance(value.get("amount"), str) and re.fullmatch(r"[A-Z]{3}", value.get("currencyCode", ""))
        ):
            return "conversionValue needs a string amount and a currency"
        return None


@pytest.fixture
def linkedin() -> Iterator[tuple[ConversionEvents, VendorReceiver, TokenEndpoint, VendorReceiver]]:
    endpoint = TokenEndpoint("li-client", "li-secret", "AQX-refresh")
    with token_server(endpoint) as tokens:
        api = ConversionEvents(endpoint, static="AQV-static-token")
        with running(api) as receiver:
            yield api, receiver, endpoint, tokens


def vendor(receiver: VendorReceiver, tokens: VendorReceiver | None, **config: Any) -> LinkedInConversions:
    connection = {"adAccountId": "512345678"}
    if tokens is None:
        connection["accessToken"] = "AQV-static-token"
    else:
        connection.update(
            oauthClientId="li-client", oauthClientSecret="li-secret", refreshToken="AQX-refresh"
        )
    integration = LinkedInConversions(
        connection, {"conversionMapping": {"Order Completed": "104, 105"}, **config}
    )
    integration.base_url = receiver.url
    if tokens is not None:
        integration.token_url = f"{tokens.url}/token"
    return integration


def test_a_mapped_event_is_one_conversion_per_rule(linkedin) -> None:
    api, receiver, endpoint, tokens = linkedin
    messages = [
        conversion(click_ids={"li_fat_id": FAT}),
        conversion(number=2, event="Other"),
        conversion("page", 3),
    ]
    run = run_engine(vendor(receiver, tokens), messages)
    assert run.statuses() == {"m-track-1": "delivered", "m-track-2": "skipped", "m-page-3": "skipped"}
    assert sorted(api.events) == [("urn:lla:llaPartnerConversion:104", "m-track-1"),
                                  ("urn:lla:llaPartnerConversion:105", "m-track-1")]  # fmt: skip
    element = api.events[("urn:lla:llaPartnerConversion:104", "m-track-1")]
    assert element["user"]["userIds"] == [
        {"idType": "SHA256_EMAIL", "idValue": sha(NORMALIZED_EMAIL)},
        {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": FAT},
    ]
    assert (
        element["conversionValue"] == {"currencyCode": "USD", "amount": "42.5"}
        and "userInfo" not in element["user"]
    )
    assert len(endpoint.issued) == 1 and receiver.violations == []


def test_static_token_order_id_dedupe_and_per_element_failures(linkedin) -> None:
    api, receiver, _, _ = linkedin
    integration = vendor(receiver, None, conversionMapping={"Order Completed": "104", "Lead": "999"},
                         deduplicationKey="order_id")  # fmt: skip
    messages = [
        conversion(number=1),
        conversion(number=2, event="Lead", properties={}),
        conversion(number=3, properties={"order_id": "o_77"}),
    ]
    run = run_engine(integration, messages)
    assert run.statuses() == {"m-track-1": "delivered", "m-track-2": "dead", "m-track-3": "delivered"}
    assert "Conversion rule does not exist" in run.results["m-track-2"].error
    assert {key[1] for key in api.events} == {"o_55", "o_77"} and run.stats.requests == 1


def test_revoked_token_is_refreshed_once_and_429_waits(linkedin) -> None:
    _, receiver, endpoint, tokens = linkedin
    run_engine(vendor(receiver, tokens), [conversion(number=1)])
    endpoint.expire_all()
    receiver.faults.append(
        Reply(429, {"status": 429, "message": "Resource level throttle limit"}, {"Retry-After": "0"})
    )
    run = run_engine(vendor(receiver, tokens), [conversion(number=2)])
    assert run.statuses() == {"m-track-2": "delivered"} and len(endpoint.issued) == 2
    harness.assert_batch_limit(
        vendor(receiver, None), receiver, [conversion(number=n) for n in range(2501)], "default"
    )

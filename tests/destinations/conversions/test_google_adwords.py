"""Google Ads conversion uploads against a receiver enforcing the ConversionUploadService contract
(REST, v26) and an OAuth 2 token endpoint, through the real delivery engine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from eventyard.destinations.base import HttpResponse, InvalidMessage, Outcome, SkipMessage
from eventyard.destinations.vendors.google_adwords import GoogleAds
from tests.destinations.conversions.helpers import (
    E164_PHONE,
    GOOGLE_EMAIL,
    HEX64,
    TokenEndpoint,
    conversion,
    sha,
    token_server,
)
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, reject, running

CUSTOMER = "1234567890"
DEV_TOKEN = "dev-token-Qw3rTy"
ACTIONS = {"111", "222"}
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
MAPPING = {"Order Completed": "111", "Lead Submitted": "222"}


def failure(index: int, list_name: str, field: str, code: dict[str, str], text: str) -> dict[str, Any]:
    return {
        "errorCode": code,
        "message": text,
        "location": {"fieldPathElements": [{"fieldName": list_name, "index": index}, {"fieldName": field}]},
    }


def rpc_error(status: int, name: str, text: str, codes: dict[str, str] | None = None) -> dict[str, Any]:
    details = [{"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
                "errors": [{"errorCode": codes or {}, "message": text}], "requestId": "req-1"}]  # fmt: skip
    return {"error": {"code": status, "message": text, "status": name, "details": details}}


class GoogleAdsApi:
    """ConversionUploadService: auth headers, partialFailure required, ≤2,000 rows, one click id
    per row, hashed identifiers only, per-row errors in ``partialFailureError``."""

    def __init__(self, tokens: TokenEndpoint) -> None:
        self.tokens = tokens
        self.conversions: dict[str, dict[str, Any]] = {}
        self.adjustments: dict[str, dict[str, Any]] = {}

    def __call__(self, request: Received) -> Reply:
        if not self.tokens.accepts(request):
            reject(401, rpc_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.",
                                  {"authenticationError": "OAUTH_TOKEN_INVALID"}))  # fmt: skip
        if request.headers.get("developer-token") != DEV_TOKEN:
            reject(401, rpc_error(401, "UNAUTHENTICATED", "The developer token is not valid.",
                                  {"authenticationError": "DEVELOPER_TOKEN_INVALID"}))  # fmt: skip
        methods = "uploadClickConversions|uploadConversionAdjustments"
        match = re.fullmatch(rf"/v26/customers/{CUSTOMER}:({methods})", request.path)
        if not match:
            reject(404, rpc_error(404, "NOT_FOUND", "Method not found."))
        body = request.json()
        if body.get("partialFailure") is not True:
            reject(400, rpc_error(400, "INVALID_ARGUMENT", "Partial failure mode is required.",
                                  {"partialFailureError": "PARTIAL_FAILURE_MODE_REQUIRED"}))  # fmt: skip
        click = match.group(1) == "uploadClickConversions"
        name = "conversions" if click else "conversionAdjustments"
        rows = body.get(name) or []
        if len(rows) > 2000:
            reject(400, rpc_error(400, "INVALID_ARGUMENT", "Too many conversions in request.",
                                  {"conversionUploadError": "TOO_MANY_CONVERSIONS_IN_REQUEST"}))  # fmt: skip
        errors = []
        for index, row in enumerate(rows):
            problem = self._problem(row, click)
            if problem:
                errors.append(
                    failure(index, name, problem[0], {"conversionUploadError": problem[1]}, problem[2])
                )
            elif click:
                self.conversions[row["orderId"]] = row
            else:
                self.adjustments[row["orderId"]] = row
        reply: dict[str, Any] = {"results": [{} for _ in rows]}
        if errors:
            details = [{"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
                        "errors": errors, "requestId": "req-2"}]  # fmt: skip
            reply["partialFailureError"] = {"code": 3, "message": "Conversions failed.", "details": details}
        return Reply(200, reply)

    def _problem(self, row: dict[str, Any], click: bool) -> tuple[str, str, str] | None:
        action = re.fullmatch(
            rf"customers/{CUSTOMER}/conversionActions/(\d+)", str(row.get("conversionAction"))
        )
        if not action or action.group(1) not in ACTIONS:
            return "conversion_action", "INVALID_CONVERSION_ACTION", "The conversion action is not valid."
        identifiers = row.get("userIdentifiers") or []
        for identifier in identifiers:
            keys = set(identifier) - {"userIdentifierSource"}
            value = next(iter(identifier.get(k) for k in keys), "")
            if len(keys) != 1 or keys - {"hashedEmail", "hashedPhoneNumber"} or not HEX64.match(str(value)):
                return "user_identifiers", "INVALID_USER_IDENTIFIER", "Identifiers must be SHA-256 hex."
        if not click:
            if row.get("adjustmentType") != "ENHANCEMENT" or not row.get("orderId") or not identifiers:
                return "order_id", "CONVERSION_NOT_FOUND", "Enhancements need orderId and identifiers."
            return None
        if not DATETIME.match(str(row.get("conversionDateTime"))):
            return "conversion_date_time", "INVALID_CONVERSION_DATE_TIME", "Bad conversion date time."
        ids = [k for k in ("gclid", "gbraid", "wbraid") if row.get(k)]
        if len(ids) > 1:
            return "gbraid", "GBRAID_WBRAID_BOTH_SET", "Only one click identifier may be set."
        if ids and ids[0] != "gclid" and identifiers:
            return "user_identifiers", "INVALID_USER_IDENTIFIER_SOURCE", "Not allowed with gbraid/wbraid."
        if not ids and not identifiers:
            return "gclid", "UNPARSEABLE_GCLID", "A click id or user identifiers are required."
        if row.get("gclid") == "not-a-gclid":
            return "gclid", "UNPARSEABLE_GCLID", "The click ID could not be decoded."
        if "conversionValue" in row and not re.fullmatch(r"[A-Z]{3}", str(row.get("currencyCode"))):
            return "currency_code", "INVALID_CURRENCY_CODE", "Bad currency."
        if row.get("orderId") in self.conversions:
            return "order_id", "CLICK_CONVERSION_ALREADY_EXISTS", "A conversion with this order id exists."
        return None


@pytest.fixture
def tokens() -> Iterator[tuple[TokenEndpoint, VendorReceiver]]:
    endpoint = TokenEndpoint("client-1.apps.googleusercontent.com", "gocspx-secret", "1//refresh-token-xyz")
    with token_server(endpoint) as receiver:
        yield endpoint, receiver


@pytest.fixture
def api(tokens: tuple[TokenEndpoint, VendorReceiver]) -> Iterator[tuple[GoogleAdsApi, VendorReceiver]]:
    contract = GoogleAdsApi(tokens[0])
    with running(contract) as receiver:
        yield contract, receiver


def vendor(api_receiver: VendorReceiver, token_receiver: VendorReceiver, **config: Any) -> GoogleAds:
    connection = {
        "customerId": "123-456-7890",
        "developerToken": DEV_TOKEN,
        "loginCustomerId": "999-000-1111",
        "oauthClientId": "client-1.apps.googleusercontent.com",
        "oauthClientSecret": "gocspx-secret",
        "refreshToken": "1//refresh-token-xyz",
    }
    integration = GoogleAds(connection, {"eventsToConversionsNamesMapping": MAPPING, **config})
    integration.base_url = api_receiver.url
    integration.token_url = f"{token_receiver.url}/token"
    return integration


def test_every_click_kind_is_uploaded_and_other_calls_skipped(api, tokens) -> None:
    contract, receiver = api
    messages = [
        conversion(number=1, click_ids={"gclid": "Cj0KCQ-gclid-1"}, properties={"order_id": "C1"}),
        conversion(number=2, properties={"order_id": "C2"}),  # no click id: enhanced conversion for leads
        conversion(number=3, click_ids={"gbraid": "gbraid-3"}, properties={"order_id": "C3"}),
        conversion(number=4, event="Newsletter Opened"),  # not mapped: skipped
        conversion(number=5, event="Lead Submitted", properties={}),  # no order id: messageId dedupes
        conversion("identify", 6),
        conversion("page", 7),
    ]
    run = run_engine(vendor(receiver, tokens[1]), messages)
    assert run.statuses() == {"m-track-1": "delivered", "m-track-2": "delivered", "m-track-3": "delivered",
                              "m-track-4": "skipped", "m-track-5": "delivered", "m-identify-6": "skipped",
                              "m-page-7": "skipped"}  # fmt: skip
    assert "not mapped" in run.skipped["m-track-4"]
    assert sorted(contract.conversions) == ["C1", "C2", "C3", "m-track-5"]
    assert contract.conversions["m-track-5"]["conversionAction"].endswith("/222")
    assert receiver.violations == [] and run.stats.requests == 1


def test_a_conversion_without_click_or_identifier_is_skipped(api, tokens) -> None:
    integration = vendor(api[1], tokens[1])
    message = conversion()
    message["context"]["traits"] = {}
    with pytest.raises(SkipMessage, match="no Google click id"):
        integration.transform(message)
    with pytest.raises(InvalidMessage, match="numeric id"):
        vendor(api[1], tokens[1], eventsToConversionsNamesMapping={"Order Completed": "Purchase"}).transform(
            conversion()
        )


def test_identifiers_follow_googles_normalization(api, tokens) -> None:
    contract, receiver = api
    messages = [
        conversion(
            number=1, click_ids={"gclid": "Cj0KCQ-gclid-1"}, properties={"order_id": "A1", "revenue": 12}
        ),
        conversion(number=2, properties={"order_id": "A2", "value": "9.5", "currency": "eur"}),
        conversion(number=3, click_ids={"wbraid": "wb-3"}, properties={"order_id": "A3"}),
    ]
    messages[1]["context"]["page"]["url"] = "https://shop.example.com/landing?gclid=url-gclid-2"
    run = run_engine(vendor(receiver, tokens[1]), messages)
    assert set(run.statuses().values()) == {"delivered"}, run.results
    one, two, three = (contract.conversions[k] for k in ("A1", "A2", "A3"))
    assert one["gclid"] == "Cj0KCQ-gclid-1" and two["gclid"] == "url-gclid-2" and three["wbraid"] == "wb-3"
    expected = [{"hashedEmail": sha(GOOGLE_EMAIL), "userIdentifierSource": "FIRST_PARTY"},
                {"hashedPhoneNumber": sha(E164_PHONE), "userIdentifierSource": "FIRST_PARTY"}]  # fmt: skip
    assert one["userIdentifiers"] == expected and "userIdentifiers" not in three
    assert (one["conversionValue"], one["currencyCode"]) == (12.0, "USD")
    assert (two["conversionValue"], two["currencyCode"]) == (9.5, "EUR")
    assert one["conversionAction"] == f"customers/{CUSTOMER}/conversionActions/111"
    assert all(r.headers["login-customer-id"] == "9990001111" for r in receiver.accepted)


def test_a_bad_row_is_dead_lettered_and_the_rest_delivered(api, tokens) -> None:
    contract, receiver = api
    messages = [conversion(number=n, click_ids={"gclid": f"g-{n}"}, properties={"order_id": f"B{n}"})
                for n in range(5)]  # fmt: skip
    messages[2]["context"]["clickIds"]["gclid"] = "not-a-gclid"
    run = run_engine(vendor(receiver, tokens[1]), messages)
    assert run.statuses() == {f"m-track-{n}": ("dead" if n == 2 else "delivered") for n in range(5)}
    assert "UNPARSEABLE_GCLID" in run.results["m-track-2"].error
    assert sorted(contract.conversions) == ["B0", "B1", "B3", "B4"]
    assert run.stats.requests == 1  # the valid rows were accepted: nothing is resent


def test_enhanced_conversions_for_web_are_adjustments(api, tokens) -> None:
    contract, receiver = api
    integration = vendor(
        receiver, tokens[1], eventsToOfflineConversionsTypeMapping={"Order Completed": "enhancement"}
    )
    message = conversion(click_ids={"gclid": "g-9"}, properties={"order_id": "W1", "revenue": 5})
    assert run_engine(integration, [message]).statuses() == {"m-track-1": "delivered"}
    adjustment = contract.adjustments["W1"]
    assert adjustment["adjustmentType"] == "ENHANCEMENT" and adjustment["gclidDateTimePair"]["gclid"] == "g-9"
    assert adjustment["userAgent"].startswith("Mozilla/5.0")
    assert receiver.accepted[0].path.endswith(":uploadConversionAdjustments")


def test_token_is_cached_refreshed_on_401_once_and_revocation_dead_letters(api, tokens) -> None:
    receiver = api[1]
    endpoint, token_receiver = tokens
    run_engine(
        vendor(receiver, token_receiver),
        [conversion(number=1, click_ids={"gclid": "g"}, properties={"order_id": "T1"})],
    )
    run_engine(
        vendor(receiver, token_receiver),
        [conversion(number=2, click_ids={"gclid": "g"}, properties={"order_id": "T2"})],
    )
    assert len(endpoint.issued) == 1  # the second cycle reused the cached token
    endpoint.expire_all()  # the vendor now answers 401 to it
    run = run_engine(
        vendor(receiver, token_receiver),
        [conversion(number=3, click_ids={"gclid": "g"}, properties={"order_id": "T3"})],
    )
    assert run.statuses() == {"m-track-3": "delivered"} and len(endpoint.issued) == 2
    endpoint.expire_all()
    endpoint.revoked = True
    integration = vendor(receiver, token_receiver)
    run = run_engine(
        integration, [conversion(number=4, click_ids={"gclid": "g"}, properties={"order_id": "T4"})]
    )
    assert run.statuses() == {"m-track-4": "dead"} and "invalid_grant" in run.results["m-track-4"].error
    assert len(token_receiver.rejected) == 1 and len(endpoint.issued) == 2  # one try, no loop
    assert "1//refresh-token-xyz" not in integration.redact(run.results["m-track-4"].error)


def test_quota_errors_wait_and_the_batch_limit_is_googles(api, tokens) -> None:
    contract, receiver = api
    throttled = rpc_error(
        429, "RESOURCE_EXHAUSTED", "Too many requests.", {"quotaError": "RESOURCE_EXHAUSTED"}
    )
    receiver.faults.append(Reply(429, throttled, {"Retry-After": "0"}))
    messages = [conversion(number=n, click_ids={"gclid": f"g{n}"}, properties={"order_id": f"Q{n}"})
                for n in range(2001)]  # fmt: skip
    run = run_engine(vendor(receiver, tokens[1]), messages)
    assert set(run.statuses().values()) == {"delivered"} and len(contract.conversions) == 2001
    assert run.stats.retried_records > 0 and receiver.violations == []
    integration = vendor(receiver, tokens[1])
    records = [r for m in messages[:3] for r in integration.transform(m)]
    delayed = rpc_error(429, "RESOURCE_EXHAUSTED", "Quota.")
    delayed["error"]["details"][0]["errors"][0]["details"] = {"quotaErrorDetails": {"retryDelay": "30s"}}
    verdict = integration.classify(HttpResponse(429, {}, orjson.dumps(delayed)), records)
    assert verdict.outcome is Outcome.RETRY and verdict.retry_after == 30.0

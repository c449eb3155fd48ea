"""Properties every vendor module of this set must have: declared call types match what transform
accepts (the others are documented skips with a reason), and no secret survives ``redact`` in any
request the vendor builds (URL, headers, body — raw or URL-encoded)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from eventyard.destinations.base import (
    DependentRequestsIntegration,
    HttpRequest,
    HttpResponse,
    Integration,
    VendorRecord,
)
from eventyard.destinations.registry import get_integration_class
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import make

SETTINGS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "keen": ({"projectID": "P1", "writeKey": "keen-secret-write"}, {}),
    "customer_io": ({"siteID": "s1", "apiKey": "cio-secret-key"}, {}),
    "hubspot": ({"accessToken": "pat-secret-token", "hubID": "42"}, {}),
    "intercom": ({"apiKey": "intercom-secret+/="}, {}),
    "braze": ({"restApiKey": "braze-secret-key", "dataCenter": "EU-01"}, {}),
    "heap": ({"appId": "1234"}, {}),
    "kissmetrics": ({"apiKey": "km-key"}, {}),
    "woopra": ({"projectName": "example.com"}, {}),
    "sailthru": ({"apiKey": "st-key", "apiSecret": "sailthru-secret"}, {}),
    "lytics": ({"apiKey": "lytics-secret/key"}, {"stream": "web"}),
    "attribution": ({"writeKey": "attribution-secret"}, {}),
    "facebook_app_events": ({"appID": "APP", "accessToken": "APP|fb client&token"}, {}),
    "facebook_pixel": ({"pixelId": "PX", "accessToken": "EAAB secret/token"}, {}),
}


def built_requests(integration: Integration, route: str, batch: Sequence[VendorRecord]) -> list[HttpRequest]:
    """Every request the vendor builds for a batch: one, or each of a dependent exchange (answered
    with a canned success that names an id, so every step runs)."""
    if not isinstance(integration, DependentRequestsIntegration):
        return [integration.build_request(route, batch)]
    sent: list[HttpRequest] = []

    async def send(request: HttpRequest) -> HttpResponse:
        sent.append(request)
        return HttpResponse(200, {}, b'{"id": "c1", "data": [{"id": "c2"}]}')

    asyncio.run(integration.exchange(route, batch, send))
    return sent


def vendor(code: str) -> Integration:
    connection, config = SETTINGS[code]
    return get_integration_class(code)(connection, config)


def _message(kind: str) -> dict[str, Any]:
    message = make(kind)
    if kind == "track":  # a plain event: vendors with special purchase handling are covered elsewhere
        message["event"] = "Signed Up"
    return message


@pytest.mark.parametrize("code", sorted(SETTINGS))
def test_declared_call_types_are_exactly_the_accepted_ones(code: str) -> None:
    harness.assert_declared_call_types(vendor(code), _message)


@pytest.mark.parametrize("code", sorted(SETTINGS))
def test_no_secret_survives_redaction_of_a_built_request(code: str) -> None:
    integration = vendor(code)
    secrets = [integration.connection[k] for k in integration.secret_settings if k in integration.connection]
    for kind in sorted(integration.call_types):
        records = integration.transform(_message(kind))
        by_route: dict[str, list[Any]] = {}
        for record in records:
            by_route.setdefault(record.route, []).append(record)
        for route, batch in by_route.items():
            for request in built_requests(integration, route, batch[:1]):
                text = integration.redact(f"{request.url} {dict(request.headers)} {request.body!r}")
                authorization = dict(request.headers).get("Authorization", "")
                if authorization.startswith("Basic "):  # base64 of credentials is the secret too
                    assert authorization.removeprefix("Basic ") not in text
                for secret in secrets:
                    assert secret not in text
                    assert secret.replace(" ", "+") not in text and secret.replace("|", "%7C") not in text


@pytest.mark.parametrize(
    ("code", "connection", "host"),
    [
        ("heap", {"appId": "1", "dataResidency": "EU"}, "https://c.eu.heap-api.com/"),
        ("customer_io", {"siteID": "s", "apiKey": "k", "datacenter": "EU"}, "https://track-eu.customer.io/"),
        ("intercom", {"apiKey": "k", "apiServer": "AU"}, "https://api.au.intercom.io/"),
        ("braze", {"restApiKey": "k", "dataCenter": "EU-02"}, "https://rest.fra-02.braze.eu/"),
        ("keen", {"projectID": "P", "writeKey": "k"}, "https://api.keen.io/"),
        ("facebook_pixel", {"pixelId": "P", "accessToken": "t"}, "https://graph.facebook.com/v25.0/"),
    ],
)
def test_production_and_regional_hosts(code: str, connection: dict[str, str], host: str) -> None:
    integration = get_integration_class(code)(connection, {})
    (record, *_) = integration.transform(_message("page" if code != "intercom" else "identify"))
    assert all(r.url.startswith(host) for r in built_requests(integration, record.route, [record]))

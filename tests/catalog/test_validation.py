"""Checking user settings and source platforms against the catalog."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.catalog import Catalog, load_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_valid_connection_and_config_pass(catalog: Catalog) -> None:
    assert catalog.validate_connection("amplitude", {"apiKey": "k", "residencyServer": "EU"}) == []
    assert catalog.validate_config("amplitude", {"callTypes": ["track"], "trackAllPages": True}) == []
    assert catalog.validate_connection("duckdb", {}) == []
    assert (
        catalog.validate_connection("postgres", {"host": "h", "database": "d", "user": "u", "port": 5433})
        == []
    )


def test_missing_and_empty_required_fields(catalog: Catalog) -> None:
    assert catalog.validate_connection("amplitude", {}) == ["API key (apiKey) is required"]
    assert catalog.validate_connection("amplitude", {"apiKey": "   "}) == ["API key (apiKey) is required"]
    assert catalog.validate_connection("amazon_kinesis", {"region": None}) == [
        "AWS region (region) is required"
    ]
    assert catalog.validate_config("amazon_kinesis", {}) == ["Stream name (stream) is required"]


def test_optional_blank_fields_mean_not_set(catalog: Catalog) -> None:
    details = {"apiKey": "k", "apiSecret": "", "residencyServer": None}
    assert catalog.validate_connection("amplitude", details) == []


@pytest.mark.parametrize(
    ("code", "payload", "error"),
    [
        ("amplitude", {"apiKey": 42}, "apiKey must be a string (input), got a number"),
        ("postgres", {"port": True}, "port must be a number (number), got a boolean"),
        ("postgres", {"port": "5432"}, "port must be a number (number), got a string"),
        (
            "webhooks",
            {"headers": [["a", "b"]]},
            "headers must be an object of string values (map), got a list",
        ),
        (
            "webhooks",
            {"headers": {"X-Token": 1}},
            "headers must map names to strings; 'X-Token' maps to a number",
        ),
        ("google_bigquery", {"credentials": "{}"}, "credentials must be an object (json), got a string"),
        (
            "amplitude",
            {"residencyServer": "moon"},
            "residencyServer must be one of: standard, EU (got 'moon')",
        ),
        ("amplitude", {"apiSecret": ["s"]}, "apiSecret must be a string (password), got a list"),
    ],
)
def test_connection_type_errors(catalog: Catalog, code: str, payload: dict[str, Any], error: str) -> None:
    assert error in catalog.validate_connection(code, payload)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"enableBatching": "yes"}, "enableBatching must be true or false (boolean), got a string"),
        ({"eventAllowList": "Order Completed"}, "eventAllowList must be a list (array), got a string"),
        (
            {"callTypes": ["track", "purchase"]},
            "callTypes may only contain: track, identify, page, screen, group, alias",
        ),
        ({"webhookMethod": "GET"}, "webhookMethod must be one of: POST, PUT, PATCH (got 'GET')"),
    ],
)
def test_config_type_errors(catalog: Catalog, payload: dict[str, Any], error: str) -> None:
    errors = catalog.validate_config("webhooks", payload)
    assert len(errors) == 1 and errors[0].startswith(error)


def test_unknown_keys_are_refused_listing_the_allowed_ones(catalog: Catalog) -> None:
    errors = catalog.validate_connection("amplitude", {"apiKey": "k", "api_key": "k"})
    assert errors == [
        "unknown field 'api_key' in connection details (allowed: apiKey, apiSecret, residencyServer)"
    ]


def test_strings_are_limited_to_10000_characters(catalog: Catalog) -> None:
    assert catalog.validate_connection("amplitude", {"apiKey": "k" * 10_000}) == []
    errors = catalog.validate_connection("amplitude", {"apiKey": "k" * 10_001})
    assert errors == ["apiKey is too long (strings are limited to 10,000 characters)"]
    nested = {"credentials": {"type": "service_account", "private_key": "x" * 10_001}}
    errors = catalog.validate_connection("google_bigquery", nested)
    assert "credentials is too long (strings are limited to 10,000 characters)" in errors


def test_every_error_is_reported_at_once(catalog: Catalog) -> None:
    errors = catalog.validate_connection("mixpanel", {"dataResidency": "mars", "extra": 1})
    assert len(errors) == 3


def test_payload_must_be_an_object(catalog: Catalog) -> None:
    assert catalog.validate_config("amplitude", ["track"]) == ["config must be an object, got a list"]  # type: ignore[arg-type]


def test_unknown_and_retired_destinations_are_refused(catalog: Catalog) -> None:
    assert catalog.validate_connection("segment", {}) == ["unknown destination 'segment'"]
    assert catalog.validate_config("segment", {}) == ["unknown destination 'segment'"]
    assert catalog.check_platform("segment", "server") == "unknown destination 'segment'"
    retired = catalog.validate_connection("calq", {"writeKey": "k"})
    assert retired == [f"Calq is retired: {catalog.get('calq').status_reason}"]
    assert catalog.validate_config("calq", {}) == retired
    assert catalog.check_platform("calq", "analytics-python") == retired[0]


def test_firebase_refuses_web_and_server_sources(catalog: Catalog) -> None:
    expected = "Google Firebase does not support client sources (supports: mobile)"
    assert catalog.check_platform("google_firebase", "analytics.js") == expected
    assert catalog.check_platform("google_firebase", "http") == expected.replace("client", "server", 1)
    assert catalog.check_platform("google_firebase", "analytics-ios") is None
    assert catalog.check_platform("google_firebase", "Flutter") is None


@pytest.mark.parametrize(
    ("code", "platform", "message"),
    [
        ("facebook_app_events", "analytics.js", "Facebook App Events does not support client sources"),
        ("hotjar", "analytics-node", "Hotjar does not support server sources (supports: client)"),
        ("kenshoo", "analytics-go", "Kenshoo does not support server sources (supports: client)"),
        ("braze", "metarouter-android", "Braze does not support mobile sources (supports: client, server)"),
        (
            "webhooks",
            "tamagotchi",
            "unknown source platform 'tamagotchi'; expected one of: analytics.js, server",
        ),
    ],
)
def test_platform_refusals(catalog: Catalog, code: str, platform: str, message: str) -> None:
    refusal = catalog.check_platform(code, platform)
    assert refusal is not None and refusal.startswith(message)


@pytest.mark.parametrize("platform", ["analytics.js", "server", "analytics-react-native", "HTTP"])
def test_warehouses_take_every_platform(catalog: Catalog, platform: str) -> None:
    assert catalog.check_platform("duckdb", platform) is None
    assert catalog.check_platform("postgres", platform) is None


@pytest.mark.parametrize(
    ("server_api", "kind", "problem"),
    [
        ({"name": "X API"}, "api", "serverApi must be an object with exactly name and docsUrl"),
        ({"name": "", "docsUrl": "https://x"}, "api", "serverApi needs a non-empty name"),
        ({"name": "X API", "docsUrl": "http://x"}, "api", "an https:// docsUrl"),
        ({"name": "X API", "docsUrl": "https://x"}, "browser", "only api destinations"),
    ],
)
def test_server_api_is_checked(server_api: dict[str, str], kind: str, problem: str) -> None:
    from eventyard.catalog.parse import parse_entry

    entry = {
        "code": "x", "name": "X", "kind": kind, "support": {"client": True, "server": False, "mobile": False},
        "status": "active", "description": "d", "serverApi": server_api,
        "connectionPrototype": {"id": "x-v1", "fields": []}, "configPrototype": {"fields": []},
    }  # fmt: skip
    errors: list[str] = []
    assert parse_entry(entry, errors) is None
    assert any(problem in e for e in errors), errors

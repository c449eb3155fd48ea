"""The catalog data: every matrix row present, support flags as MetaRouter publishes them,
secrets flagged, the common delivery options everywhere, and the lookup API."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from importlib import resources
from typing import Any

import pytest

from eventyard.catalog import (
    CALL_TYPES,
    PLATFORMS,
    Catalog,
    Destination,
    UnknownDestination,
    load_catalog,
    platform_family,
)

from .conftest import REPO_ROOT

OWN_WAREHOUSES = {"postgres": "Postgres", "duckdb": "DuckDB"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_matrix_reference_parses_to_47_rows(matrix: dict[str, tuple[bool, bool, bool]]) -> None:
    assert len(matrix) == 47
    assert matrix["Google Firebase"] == (False, False, True)
    assert matrix["Woopra"] == (True, True, True)


def test_catalog_is_the_matrix_plus_our_two_warehouses(
    catalog: Catalog, matrix: dict[str, tuple[bool, bool, bool]]
) -> None:
    names = [d.name for d in catalog.all()]
    assert len(names) == 49
    assert set(names) == set(matrix) | set(OWN_WAREHOUSES.values())


def test_support_flags_match_the_matrix_row_for_row(
    catalog: Catalog, matrix: dict[str, tuple[bool, bool, bool]]
) -> None:
    by_name = {d.name: d for d in catalog.all()}
    mismatched = {
        name: (row, by_name[name].support)
        for name, row in matrix.items()
        if (by_name[name].support.client, by_name[name].support.server, by_name[name].support.mobile) != row
    }
    assert mismatched == {}


@pytest.mark.parametrize("code", sorted(OWN_WAREHOUSES))
def test_own_warehouses_support_every_source(catalog: Catalog, code: str) -> None:
    destination = catalog.get(code)
    assert destination.kind == "warehouse"
    assert destination.support.families() == ["client", "server", "mobile"]


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("amplitude", "Amplitude", "api"),
        ("mixpanel", "Mixpanel", "api"),
        ("google_analytics", "Google Analytics", "api"),
        ("google_firebase", "Google Firebase", "api"),
        ("amazon_kinesis", "Amazon Kinesis", "stream"),
        ("amazon_redshift", "Amazon Redshift", "warehouse"),
        ("google_bigquery", "Google BigQuery", "warehouse"),
        ("s3_event_logs", "S3 Event Logs", "storage"),
        ("webhooks", "Webhooks", "api"),
        ("customer_io", "Customer.io", "api"),
        ("facebook_pixel", "Facebook Pixel", "api"),
        ("facebook_app_events", "Facebook App Events", "api"),
        ("heap", "Heap Analytics", "api"),
        ("kissmetrics", "KISSmetrics", "api"),
        ("hotjar", "Hotjar", "browser"),
        ("google_tag_manager", "Google Tag Manager", "browser"),
        ("postgres", "Postgres", "warehouse"),
        ("duckdb", "DuckDB", "warehouse"),
    ],
)
def test_codes_names_and_kinds(catalog: Catalog, code: str, name: str, kind: str) -> None:
    destination = catalog.get(code)
    assert (destination.name, destination.kind) == (name, kind)


def test_all_is_sorted_by_name_and_codes_are_unique(catalog: Catalog) -> None:
    names = [d.name.casefold() for d in catalog.all()]
    assert names == sorted(names)
    assert len(catalog.codes()) == 49


def test_get_unknown_code_raises_a_clear_key_error(catalog: Catalog) -> None:
    with pytest.raises(KeyError) as caught:
        catalog.get("segmentio")
    assert isinstance(caught.value, UnknownDestination)
    assert str(caught.value).startswith("unknown destination 'segmentio' (known codes: acquisio, ")


def test_calq_is_retired_and_ga_is_ga4(catalog: Catalog) -> None:
    calq = catalog.get("calq")
    assert calq.status == "retired"
    assert "API is gone" in calq.status_reason
    ga = catalog.get("google_analytics")
    assert ga.status == "active"
    assert "Measurement Protocol" in ga.description and "Universal Analytics" in ga.description
    active = [d for d in catalog.all() if d.status == "active"]
    assert all(d.status_reason == "" for d in active)
    assert len(active) == 48


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("amplitude", "apiSecret"),
        ("mixpanel", "serviceAccountSecret"),
        ("keen", "writeKey"),
        ("webhooks", "sharedSecret"),
        ("webhooks", "headers"),
        ("amazon_redshift", "password"),
        ("google_bigquery", "credentials"),
        ("google_analytics", "apiSecret"),
        ("amazon_kinesis", "accessKey"),
        ("s3_event_logs", "accessKeyID"),
        ("braze", "restApiKey"),
        ("facebook_pixel", "accessToken"),
        ("twitter_ads", "accessTokenSecret"),
        ("postgres", "password"),
    ],
)
def test_known_secrets_are_flagged(catalog: Catalog, code: str, field: str) -> None:
    assert field in catalog.get(code).secret_connection_fields()


@pytest.mark.parametrize(
    ("code", "field"),
    [("amplitude", "apiKey"), ("mixpanel", "projectId"), ("webhooks", "webhookUrl"), ("postgres", "host")],
)
def test_plain_settings_are_not_secret(catalog: Catalog, code: str, field: str) -> None:
    assert field not in catalog.get(code).secret_connection_fields()


@pytest.mark.parametrize(("code", "field"), [("mixpanel", "token"), ("attribution", "writeKey")])
def test_values_the_vendor_publishes_in_pages_are_public(catalog: Catalog, code: str, field: str) -> None:
    # Mixpanel's browser SDK and attribution.js carry them in every page that uses them, so
    # device mode may send them; a public field says why in its description.
    destination = catalog.get(code)
    (public,) = [f for f in destination.connection_fields if f.property_name == field]
    assert public.public and not public.secret and "page" in public.description
    assert destination.device_mode is not None and field in destination.device_mode.public_fields


def test_every_entry_has_settings_and_its_delivery_options(catalog: Catalog) -> None:
    for destination in catalog.all():
        config = {f.property_name: f for f in destination.config_fields}
        assert destination.connection_fields, destination.code
        if destination.kind == "warehouse":
            assert {"namespace", "skipUsersTable", "skipTracksTable"} <= set(config), destination.code
            assert "eventAllowList" not in config
        else:
            assert config["eventAllowList"].field_type == "array"
            assert config["eventDenyList"].default == []
            assert config["callTypes"].default == list(CALL_TYPES) == list(config["callTypes"].options)


SAMPLE_VALUES: dict[str, Any] = {
    "input": "x",
    "number": 1,
    "array": ["x"],
    "boolean": True,
    "map": {"a": "b"},
}


def test_defaults_plus_required_values_make_a_valid_config(catalog: Catalog) -> None:
    for destination in catalog.all():
        if destination.status != "active":
            continue
        payload = destination.config_defaults()
        for f in destination.config_fields:
            if f.required:
                payload[f.property_name] = f.options[0] if f.options else SAMPLE_VALUES[f.field_type]
        assert catalog.validate_config(destination.code, payload) == [], destination.code


def test_config_defaults_are_fresh_copies(catalog: Catalog) -> None:
    defaults = catalog.get("amplitude").config_defaults()
    defaults["callTypes"].clear()
    assert catalog.get("amplitude").config_defaults()["callTypes"] == list(CALL_TYPES)


def test_warehouse_connection_fields(catalog: Catalog) -> None:
    def fields(code: str) -> dict[str, bool]:
        return {f.property_name: f.required for f in catalog.get(code).connection_fields}

    assert fields("postgres") == {
        "url": True, "host": True, "port": False, "database": True, "user": True, "password": False,
        "sslmode": False,
    }  # fmt: skip
    assert catalog.get("postgres").connection_one_of == (
        ("url",),
        ("host", "port", "database", "user", "password", "sslmode"),
    )
    assert {"url", "password"} <= catalog.get("postgres").secret_connection_fields()
    assert fields("duckdb") == {"path": False}
    assert {"host", "database", "user", "password", "bucketName"} <= set(fields("amazon_redshift"))
    assert {"project", "credentials", "bucketName"} <= set(fields("google_bigquery"))
    assert catalog.get("google_bigquery").connection_fields[2].field_type == "json"


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_every_platform_has_a_family() -> None:
    assert len(PLATFORMS) == 17
    assert {platform_family(p) for p in PLATFORMS} == {"client", "server", "mobile"}
    assert platform_family("Analytics.JS") == "client"
    assert platform_family("METAROUTER-IOS") == "mobile"
    assert platform_family("analytics-python") == "server"
    with pytest.raises(ValueError, match="unknown source platform 'cobol'"):
        platform_family("cobol")


def test_the_data_file_ships_as_package_data() -> None:
    data = resources.files("eventyard.catalog").joinpath("destinations.json")
    assert json.loads(data.read_text(encoding="utf-8"))["version"] == 1
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    assert any(fnmatch.fnmatch("destinations.json", p) for p in patterns)
    assert (REPO_ROOT / "include" / "eventyard" / "catalog" / "__init__.py").is_file()


def test_destination_is_hashable_and_frozen(catalog: Catalog) -> None:
    destination: Destination = catalog.get("webhooks")
    assert hash(destination) == hash(catalog.get("webhooks"))
    with pytest.raises(AttributeError):
        destination.code = "other"  # type: ignore[misc]


CONVERSION_APIS = {
    "acquisio", "adobe_analytics", "bloomreach", "criteo", "doubleclick", "google_adwords",
    "linkedin_insight_tag", "microsoft_ads", "optimizely", "outbrain", "taboola", "twitter_ads",
}  # fmt: skip


def test_conversion_api_rows_take_server_sources_while_the_matrix_row_stays(
    catalog: Catalog, matrix: dict[str, tuple[bool, bool, bool]]
) -> None:
    from eventyard.destinations.registry import integration_classes

    with_api = {d.code for d in catalog.all() if d.server_api}
    assert with_api == CONVERSION_APIS and set(integration_classes()) >= CONVERSION_APIS
    for code in sorted(CONVERSION_APIS):
        destination = catalog.get(code)
        row = matrix[destination.name]
        assert (destination.support.client, destination.support.server, destination.support.mobile) == row
        assert destination.kind == "api" and destination.server_api_docs_url.startswith("https://")
        assert (
            destination.delivery_support().server and catalog.check_platform(code, "analytics-python") is None
        )
        assert (
            destination.delivery_support().client == row[0]
            and destination.delivery_support().mobile == row[2]
        )
    assert catalog.check_platform("hotjar", "analytics-python") is not None  # no server API: still refused


def test_fields_that_pick_a_server_are_routing(catalog: Catalog) -> None:
    routing = {d.code: d.routing_connection_fields() for d in catalog.all() if d.routing_connection_fields()}
    assert routing["webhooks"] == {"webhookUrl"}
    assert routing["postgres"] == {"url", "host", "port"}
    assert routing["bloomreach"] == {"apiBaseUrl"}
    assert {"endpointUrl", "region"} <= routing["amazon_kinesis"] and {"endpointUrl"} <= routing[
        "s3_event_logs"
    ]
    assert {"host", "port", "sshHost", "sshPort"} <= routing["amazon_redshift"]
    # Credentials issued by a vendor stay with that vendor: account ids are not routing.
    assert "pixelId" not in catalog.get("facebook_pixel").routing_connection_fields()
    assert all(not f.routing for d in catalog.all() for f in d.config_fields)

"""Load-time validation: a corrupted catalog is refused, naming the entry and the problem."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

from eventyard.catalog import CatalogError, build_catalog

Raw = dict[str, Any]


@pytest.fixture(scope="module")
def pristine() -> Raw:
    text = resources.files("eventyard.catalog").joinpath("destinations.json").read_text(encoding="utf-8")
    data: Raw = json.loads(text)
    return data


def entry(raw: Raw, code: str) -> dict[str, Any]:
    return next(e for e in raw["destinations"] if e["code"] == code)


def field(raw: Raw, code: str, name: str) -> dict[str, Any]:
    prototypes = (
        entry(raw, code)["connectionPrototype"]["fields"] + entry(raw, code)["configPrototype"]["fields"]
    )
    return next(f for f in prototypes if f["propertyName"] == name)


def _duplicate_code(raw: Raw) -> None:
    entry(raw, "mixpanel")["code"] = "amplitude"


def _duplicate_prototype_id(raw: Raw) -> None:
    entry(raw, "mixpanel")["connectionPrototype"]["id"] = "amplitude-v1"


def _remove_destination(raw: Raw) -> None:
    raw["destinations"] = [e for e in raw["destinations"] if e["code"] != "woopra"]


def _add_unlisted_destination(raw: Raw) -> None:
    extra = copy.deepcopy(entry(raw, "woopra"))
    extra.update(code="segment", name="Segment")
    extra["connectionPrototype"]["id"] = "segment-v1"
    raw["destinations"].append(extra)


def _unknown_kind(raw: Raw) -> None:
    entry(raw, "keen")["kind"] = "carrier_pigeon"


def _unknown_field_type(raw: Raw) -> None:
    field(raw, "keen", "projectID")["fieldType"] = "color"


def _select_without_options(raw: Raw) -> None:
    del field(raw, "amplitude", "residencyServer")["options"]


def _password_not_secret(raw: Raw) -> None:
    field(raw, "amplitude", "apiSecret")["secret"] = False


def _secret_name_not_secret(raw: Raw) -> None:
    f = field(raw, "google_tag_manager", "authorizationToken")
    f.update(fieldType="input", secret=False)


def _secret_in_config(raw: Raw) -> None:
    entry(raw, "keen")["configPrototype"]["fields"].append(
        {
            "propertyName": "signingKey",
            "label": "Key",
            "fieldType": "password",
            "required": False,
            "secret": True,
        }
    )


def _default_of_wrong_type(raw: Raw) -> None:
    field(raw, "webhooks", "batchSize")["default"] = "100"


def _default_not_an_option(raw: Raw) -> None:
    field(raw, "webhooks", "webhookMethod")["default"] = "GET"


def _missing_common_option(raw: Raw) -> None:
    fields = entry(raw, "hotjar")["configPrototype"]["fields"]
    fields[:] = [f for f in fields if f["propertyName"] != "eventDenyList"]


def _browser_with_server_support(raw: Raw) -> None:
    entry(raw, "hotjar")["support"]["server"] = True


def _retired_without_reason(raw: Raw) -> None:
    del entry(raw, "calq")["statusReason"]


def _typo_in_field_key(raw: Raw) -> None:
    f = field(raw, "amplitude", "trackNamedPages")
    f["defualt"] = f.pop("default")


def _support_not_boolean(raw: Raw) -> None:
    entry(raw, "keen")["support"]["mobile"] = "✔"


def _duplicate_property_name(raw: Raw) -> None:
    entry(raw, "keen")["configPrototype"]["fields"].append(dict(field(raw, "keen", "projectID")))


def _server_field_not_routing(raw: Raw) -> None:
    del field(raw, "webhooks", "webhookUrl")["routing"]


def _routing_in_config(raw: Raw) -> None:
    entry(raw, "keen")["configPrototype"]["fields"].append(
        {"propertyName": "apiHost", "label": "Host", "fieldType": "input", "required": False, "secret": False,
         "routing": True}
    )  # fmt: skip


def _alias_clashes(raw: Raw) -> None:
    field(raw, "amplitude", "apiSecret")["aliases"] = ["apiKey"]


def _one_of_unknown_field(raw: Raw) -> None:
    entry(raw, "postgres")["connectionPrototype"]["oneOf"] = [["url"], ["hostname"]]


def _secret_sent_to_the_browser(raw: Raw) -> None:
    entry(raw, "facebook_pixel")["deviceMode"]["publicFields"].append("accessToken")


def _public_field_unknown(raw: Raw) -> None:
    entry(raw, "hotjar")["deviceMode"]["publicFields"].append("siteKey")


def _device_mode_without_client_support(raw: Raw) -> None:
    entry(raw, "calq")["deviceMode"] = dict(entry(raw, "keen")["deviceMode"], publicFields=[])


def _browser_only_without_device_mode(raw: Raw) -> None:
    del entry(raw, "drift")["deviceMode"]


def _cloud_not_first(raw: Raw) -> None:
    entry(raw, "mixpanel")["deviceMode"]["modes"] = ["device", "cloud"]


def _unknown_consent_category(raw: Raw) -> None:
    entry(raw, "heap")["deviceMode"]["consentCategory"] = "Curiosity"


def _tag_url_reads_a_private_field(raw: Raw) -> None:
    entry(raw, "keen")["deviceMode"]["tagUrl"] = "https://cdn.example/{writeKey}.js"


def _public_flag_on_a_secret(raw: Raw) -> None:
    field(raw, "amplitude", "apiSecret")["public"] = True


def _public_without_a_reason(raw: Raw) -> None:
    del field(raw, "mixpanel", "token")["description"]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (
            _server_field_not_routing,
            "field 'webhookUrl': its name says it picks a server, so it must be routing",
        ),
        (_routing_in_config, "('keen'): configPrototype field 'apiHost' is routing"),
        (_alias_clashes, "alias 'apiKey' of 'apiSecret' is another field's name or alias"),
        (_one_of_unknown_field, "oneOf names 'hostname', which is not a connection field"),
        (_secret_sent_to_the_browser, "field 'accessToken' is secret and can never reach the browser"),
        (_public_field_unknown, "public field 'siteKey' is not a field of this destination"),
        (_device_mode_without_client_support, "('calq'): deviceMode needs client support"),
        (_browser_only_without_device_mode, "('drift'): a browser-only destination needs a deviceMode"),
        (_cloud_not_first, "('mixpanel'): deviceMode: a delivered destination lists \"cloud\" first"),
        (_unknown_consent_category, "consentCategory 'Curiosity' is not one of"),
        (_tag_url_reads_a_private_field, "tagUrl reads 'writeKey', which is not a public field"),
        (_public_flag_on_a_secret, "field 'apiSecret': a public field is not secret"),
        (
            _public_without_a_reason,
            "field 'token': a public field is not secret and its description says why",
        ),
        (_duplicate_code, "code 'amplitude' is used by more than one destination"),
        (_duplicate_prototype_id, "connectionPrototype id 'amplitude-v1' is used by more than one"),
        (_remove_destination, "destinations missing from the catalog: ['Woopra']"),
        (_add_unlisted_destination, "destinations not on the compatibility matrix: ['Segment']"),
        (_unknown_kind, "('keen'): kind 'carrier_pigeon' is not one of"),
        (_unknown_field_type, "('keen'): connectionPrototype field 'projectID': fieldType 'color'"),
        (
            _select_without_options,
            "('amplitude'): connectionPrototype field 'residencyServer': a select field needs",
        ),
        (_password_not_secret, "field 'apiSecret': a password field must be secret"),
        (_secret_name_not_secret, "field 'authorizationToken': the name says it holds a secret"),
        (_secret_in_config, "('keen'): configPrototype field 'signingKey' is secret"),
        (_default_of_wrong_type, "field 'batchSize': default batchSize must be a number"),
        (_default_not_an_option, "default webhookMethod must be one of: POST, PUT, PATCH"),
        (_missing_common_option, "('hotjar'): config field 'eventDenyList' must be an optional array"),
        (_browser_with_server_support, "('hotjar'): a browser-only destination can only support client"),
        (_retired_without_reason, "('calq'): a retired destination needs a statusReason"),
        (_typo_in_field_key, "field 'trackNamedPages': unknown keys ['defualt']"),
        (_support_not_boolean, "('keen'): support flags must be true or false"),
        (_duplicate_property_name, "('keen'): propertyName 'projectID' is declared more than once"),
    ],
)
def test_corrupted_catalog_is_refused(pristine: Raw, corrupt: Callable[[Raw], None], message: str) -> None:
    raw = copy.deepcopy(pristine)
    corrupt(raw)
    with pytest.raises(CatalogError) as caught:
        build_catalog(raw)
    assert message in str(caught.value)


def test_the_pristine_data_builds(pristine: Raw) -> None:
    assert len(build_catalog(copy.deepcopy(pristine)).all()) == 49


@pytest.mark.parametrize(
    "raw", [[], {"version": 1}, {"version": 2, "destinations": []}, {"destinations": [1]}]
)
def test_malformed_documents_are_refused(raw: Any) -> None:
    with pytest.raises(CatalogError):
        build_catalog(raw)


def test_every_problem_is_listed_at_once(pristine: Raw) -> None:
    raw = copy.deepcopy(pristine)
    _unknown_kind(raw)
    _password_not_secret(raw)
    with pytest.raises(CatalogError) as caught:
        build_catalog(raw)
    assert "carrier_pigeon" in str(caught.value) and "password field must be secret" in str(caught.value)


def test_every_shape_problem_of_one_entry_is_listed_at_once() -> None:
    """The pydantic models report every wrong key of an entry and of its fields together."""
    from eventyard.catalog.parse import parse_entry

    field = {
        "propertyName": "apiKey",
        "label": "",
        "fieldType": "color",
        "required": 1,
        "secret": True,
        "bogus": 1,
    }
    raw = {
        "code": "X-1", "kind": "pigeon", "support": {"client": "y", "server": False, "mobile": False},
        "status": "active", "description": "a\nb", "docsUrl": "http://x", "extra": 1,
        "connectionPrototype": {"id": "A B", "fields": [field]}, "configPrototype": [],
    }  # fmt: skip
    errors: list[str] = []
    assert parse_entry(raw, errors) is None
    where = "connectionPrototype field 'apiKey'"
    assert errors[:2] == ["entry: unknown keys ['extra'] (allowed: ['code', 'configPrototype', "
        "'connectionPrototype', 'description', 'deviceMode', 'docsUrl', 'kind', 'name', 'serverApi', "
        "'status', 'statusReason', 'support'])", "entry: missing keys ['name']"]  # fmt: skip
    assert set(errors[2:]) == {
        "code 'X-1' must be a lowercase slug (a-z, 0-9, _)",
        "kind 'pigeon' is not one of ['api', 'browser', 'storage', 'stream', 'warehouse']",
        "support flags must be true or false",
        "description must be one line",
        "docsUrl must be an https:// URL",
        "configPrototype must be an object with fields",
        "connectionPrototype id 'A B' must be lowercase (a-z 0-9 _ . -)",
        f"{where}: unknown keys ['bogus'] (allowed: ['aliases', 'default', 'description', 'fieldType', "
        "'label', 'options', 'propertyName', 'public', 'required', 'routing', 'secret'])",
        f"{where}: label must be a non-empty string",
        f"{where}: fieldType 'color' is not one of ['array', 'boolean', 'input', 'json', 'map', 'number', "
        "'password', 'select', 'textarea']",
        f"{where}: required and secret must be true or false",
    }

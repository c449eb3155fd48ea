"""Intercom against a receiver enforcing its current REST API (2.14): contacts search / create /
update, companies create-or-update and attach, events."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from eventyard.destinations.base import InvalidMessage
from eventyard.destinations.vendors.intercom import API_VERSION, Intercom
from tests.destinations.drive import run_engine
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import TIMESTAMP, make

TOKEN = "dG9rOmludGVyY29tLXRva2Vu"


def error_list(code: str, message: str) -> dict[str, Any]:
    return {
        "type": "error.list",
        "request_id": "000on04o5h6aue5i2ghg",
        "errors": [{"code": code, "message": message}],
    }


def _flat_value(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) in ({"amount", "currency"}, {"url", "value"})
    return not isinstance(value, list) and (not isinstance(value, str) or len(value) <= 255)


class Workspace:
    """An Intercom workspace on API 2.14: contacts and companies by Intercom id, their links, events.

    Only the current version's endpoints exist: the 1.x ``/users`` upsert answers 404."""

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.companies: dict[str, dict[str, Any]] = {}  # by company_id
        self.attached: set[tuple[str, str]] = set()  # (contact id, company Intercom id)
        self.events: list[dict[str, Any]] = []
        self.ids = (f"{n:024x}" for n in itertools.count(1))

    def __call__(self, request: harness.Received) -> harness.Reply:
        harness.check(
            request.headers.get("authorization") == f"Bearer {TOKEN}",
            401,
            error_list("unauthorized", "Access Token Invalid"),
        )
        harness.check(
            request.headers.get("accept") == "application/json", 406, error_list("not_acceptable", "Accept")
        )
        harness.check(
            request.headers.get("intercom-version") == API_VERSION,
            400,
            error_list("intercom_version_invalid", "Requested resource is not available in this version"),
        )
        body = request.json()
        route = (request.method, request.path)
        if route == ("POST", "/contacts/search"):
            return self._search(body)
        if route == ("POST", "/contacts"):
            return self._create(body)
        if request.method == "PUT" and request.path.startswith("/contacts/"):
            return self._update(request.path.split("/")[2], body)
        if route == ("POST", "/companies"):
            return self._upsert_company(body)
        if request.method == "POST" and request.path.endswith("/companies"):
            return self._attach(request.path.split("/")[2], body)
        harness.check(route == ("POST", "/events"), 404, error_list("not_found", "Resource Not Found"))
        return self._event(body)

    def _search(self, body: dict[str, Any]) -> harness.Reply:
        query = body.get("query") or {}
        harness.check(
            query.get("field") in ("external_id", "email") and query.get("operator") == "=",
            400,
            error_list("parameter_invalid", "query: field external_id or email, operator ="),
        )
        data = [c for c in self.contacts.values() if c.get(query["field"]) == query.get("value")]
        return harness.Reply(200, {"type": "list", "data": data, "total_count": len(data)})

    def _check_contact(self, body: dict[str, Any]) -> None:
        custom = body.get("custom_attributes", {})
        harness.check(
            all(_flat_value(v) and not isinstance(v, dict) for v in custom.values()),
            400,
            error_list("parameter_invalid", "custom attributes must be flat"),
        )
        harness.check("user_id" not in body, 400, error_list("parameter_invalid", "user_id is a 1.x field"))

    def _create(self, body: dict[str, Any]) -> harness.Reply:
        harness.check(body.get("role") == "user", 400, error_list("parameter_invalid", "role must be user"))
        harness.check(
            bool(body.get("external_id") or body.get("email")), 400, error_list("parameter_not_found", "id")
        )
        self._check_contact(body)
        for contact in self.contacts.values():
            if body.get("external_id") and contact.get("external_id") == body["external_id"]:
                harness.reject(
                    409,
                    error_list(
                        "conflict", f"A contact matching those details already exists with id={contact['id']}"
                    ),
                )
        contact = {"type": "contact", "id": next(self.ids), **body}
        self.contacts[contact["id"]] = contact
        return harness.Reply(200, contact)

    def _update(self, contact_id: str, body: dict[str, Any]) -> harness.Reply:
        harness.check(contact_id in self.contacts, 404, error_list("not_found", "User Not Found"))
        self._check_contact(body)
        self.contacts[contact_id].update(body)
        return harness.Reply(200, self.contacts[contact_id])

    def _upsert_company(self, body: dict[str, Any]) -> harness.Reply:
        harness.check(
            bool(body.get("company_id")), 400, error_list("parameter_not_found", "company_id is required")
        )
        existing = self.companies.get(body["company_id"])
        company = {**(existing or {"type": "company", "id": next(self.ids)}), **body}
        self.companies[body["company_id"]] = company
        return harness.Reply(200, company)

    def _attach(self, contact_id: str, body: dict[str, Any]) -> harness.Reply:
        harness.check(contact_id in self.contacts, 404, error_list("not_found", "Contact Not Found"))
        company = next((c for c in self.companies.values() if c["id"] == body.get("id")), None)
        harness.check(company is not None, 404, error_list("company_not_found", "Company Not Found"))
        self.attached.add((contact_id, body["id"]))
        return harness.Reply(200, company)

    def _event(self, body: dict[str, Any]) -> harness.Reply:
        harness.check(
            isinstance(body.get("created_at"), int) and body["created_at"] < 10**11,
            400,
            error_list("parameter_invalid", "created_at must be unix seconds"),
        )
        harness.check(
            bool(body.get("event_name")), 400, error_list("parameter_not_found", "event_name is required")
        )
        metadata = body.get("metadata", {})
        harness.check(
            len(metadata) <= 20 and all(_flat_value(v) for v in metadata.values()),
            400,
            error_list("parameter_invalid", "metadata: 20 flat keys at most"),
        )
        known = any(
            (body.get("user_id") and c.get("external_id") == body["user_id"])
            or (body.get("email") and c.get("email") == body["email"])
            for c in self.contacts.values()
        )
        harness.check(known, 404, error_list("not_found", "User Not Found"))
        self.events.append(body)
        return harness.Reply(202, b"")

    def contact(self, external_id: str) -> dict[str, Any]:
        return next(c for c in self.contacts.values() if c.get("external_id") == external_id)


SPEC = harness.VendorSpec(Intercom, {"apiKey": TOKEN, "apiServer": "EU"}, {}, Workspace)


def test_identify_group_and_track_on_the_current_api(
    vendor: Intercom, contract: Workspace, receiver: harness.Receiver, messages
) -> None:
    ordered = [messages[k] for k in ("identify", "group", "track", "page", "screen", "alias")]
    run = run_engine(vendor, ordered)
    assert run.statuses() == {
        "m-identify-1": "delivered",
        "m-group-1": "delivered",
        "m-track-1": "delivered",
        "m-page-1": "skipped",
        "m-screen-1": "skipped",
        "m-alias-1": "skipped",
    }
    # The three run concurrently: an event may reach Intercom before its contact exists (retried).
    assert all(status == 404 and "User Not Found" in text for status, text in receiver.violations)
    contact = contract.contact("u_123")
    assert contact["email"].lower() == "jo@example.com" and contact["name"] == "Jo Doe"
    assert (contact["role"], contact["signed_up_at"]) == ("user", 1735787045)
    assert contact["custom_attributes"] == {"plan": "pro", "address_city": "Paris", "address_country": "FR"}
    assert contract.companies["g_77"] == {
        "type": "company", "id": contract.companies["g_77"]["id"], "company_id": "g_77", "name": "Acme Inc",
        "plan": "enterprise", "size": 120, "website": "acme.io",
    }  # fmt: skip
    assert contract.attached == {(contact["id"], contract.companies["g_77"]["id"])}
    (event,) = contract.events
    assert event["created_at"] == int(TIMESTAMP.timestamp()) and event["user_id"] == "u_123"
    assert event["metadata"]["price"] == {"amount": 4250, "currency": "usd"}
    paths = {(r.method, r.path.rsplit("/", 1)[0] if r.method == "PUT" else r.path) for r in receiver.accepted}
    assert "/users" not in {p for _, p in paths}  # the legacy 1.4 upsert is gone


def test_a_second_identify_updates_the_contact_it_finds(vendor: Intercom, contract: Workspace) -> None:
    run_engine(vendor, [make("identify", 1)])
    later = make("identify", 2)
    later["traits"] = {"email": "jo@example.com", "plan": "enterprise"}
    assert run_engine(vendor, [later]).statuses() == {"m-identify-2": "delivered"}
    (contact,) = contract.contacts.values()
    assert contact["custom_attributes"] == {"plan": "enterprise"}


def test_events_and_groups_for_unknown_users_are_retried_not_dropped(
    vendor: Intercom, contract: Workspace
) -> None:
    first = run_engine(vendor, [make("track"), make("group")])
    assert first.statuses() == {"m-track-1": "retry", "m-group-1": "retry"}
    assert "User Not Found" in first.results["m-track-1"].error
    assert "no contact for this user yet" in first.results["m-group-1"].error
    run_engine(vendor, [make("identify")])
    assert set(run_engine(vendor, [make("track"), make("group")]).statuses().values()) == {"delivered"}


def test_metadata_is_kept_within_intercoms_limits(vendor: Intercom) -> None:
    props = {f"key{n}": "v" * 300 for n in range(30)}
    (record,) = vendor.transform(make("track", properties=props))
    assert len(record.payload["metadata"]) == 20
    assert all(len(v) == 255 for v in record.payload["metadata"].values())


def test_identity_rules(vendor: Intercom) -> None:
    anonymous = make("track", userId=None, context={})
    with pytest.raises(InvalidMessage, match=r"userId or traits\.email"):
        vendor.transform(anonymous)
    vendor.config["sendAnonymousId"] = True
    assert vendor.transform(anonymous)[0].payload["user_id"] == "a_9f1b2c"
    by_email = make("identify", userId=None)
    by_email["traits"]["email"] = "sam@example.com"
    vendor.config["sendAnonymousId"] = False
    assert vendor.transform(by_email)[0].payload["lookup"] == {"field": "email", "value": "sam@example.com"}


def test_rate_limit_and_auth(vendor: Intercom, receiver: harness.Receiver) -> None:
    reset = str(int(time.time()) + 10)
    receiver.faults.append(
        harness.Reply(
            429, error_list("rate_limit_exceeded", "Exceeded rate limit"), {"X-RateLimit-Reset": reset}
        )
    )
    throttled = run_engine(vendor, [make("identify")]).results["m-identify-1"]
    assert throttled.status == "retry" and 0 < throttled.retry_in <= 11
    receiver.faults.append(harness.Reply(503, "unavailable"))
    assert run_engine(vendor, [make("identify", 2)]).statuses() == {"m-identify-2": "delivered"}
    vendor.connection["apiKey"] = "dG9rOnJldm9rZWQ="
    denied = run_engine(vendor, [make("identify", 3)]).results["m-identify-3"]
    assert denied.status == "dead" and "unauthorized" in denied.error
    assert "dG9rOnJldm9rZWQ=" not in denied.error


def test_last_seen_is_updated_only_when_configured(vendor: Intercom) -> None:
    (record,) = vendor.transform(make("identify"))
    assert record.payload["contact"]["last_seen_at"] == int(TIMESTAMP.timestamp())
    vendor.config["updateLastRequestAt"] = False
    (record,) = vendor.transform(make("identify"))
    assert "last_seen_at" not in record.payload["contact"]

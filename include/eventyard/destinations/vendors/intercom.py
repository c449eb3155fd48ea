"""Intercom on its current REST API (``Intercom-Version: 2.14``): contacts, companies, events.

API 2.x has no contact upsert and attaches companies by Intercom's own ids, so identify and
group take dependent requests (a ``DependentRequestsIntegration``): identify searches the contact
by ``external_id`` (or email) and updates it (``PUT /contacts/{id}``) or creates it
(``POST /contacts``); group creates or updates the company (``POST /companies``, keyed by
``company_id``), finds the contact and attaches the company to it
(``POST /contacts/{id}/companies``). track is one ``POST /events``. One record per batch: Intercom
has no batch endpoint for these calls. See docs/destinations/intercom.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "page": "Intercom has no server-side page-view API (its Messenger records page views)",
    "screen": "Intercom has no server-side screen-view API",
    "alias": "Intercom merges leads into users only by its own ids; there is no alias API",
}
HOSTS = {
    "US": "https://api.intercom.io",
    "EU": "https://api.eu.intercom.io",
    "AU": "https://api.au.intercom.io",
}
CONTACTS, COMPANIES, EVENTS = "contacts", "companies", "events"  # routes
API_VERSION = "2.14"
MAX_METADATA_KEYS = 20
MAX_STRING = 255
COMPANY_FIELDS = {
    "name": "name",
    "plan": "plan",
    "employees": "size",
    "size": "size",
    "website": "website",
    "industry": "industry",
    "monthlySpend": "monthly_spend",
}
CONTACT_MISSING = "Intercom has no contact for this user yet (the identify creating it is usually in flight)"


class Intercom(base.DependentRequestsIntegration):
    """Intercom contacts, companies and events."""

    code = "intercom"
    call_types = frozenset({"track", "identify", "group"})
    max_batch_events = 1  # Intercom has no batch endpoint for these calls
    max_batch_bytes = 100_000
    max_requests_per_second = 150.0  # ~10,000 calls/min per app, enforced in 10 s windows
    secret_settings = frozenset({"apiKey"})
    base_url = ""  # empty: the region's host

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """identify → contact; group → company + its contact; track → event."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        who = self._who(message)
        key = m.message_id(message)
        if call_type == "track":
            event = {
                "event_name": str(message.get("event") or ""),
                "created_at": m.unix_seconds(m.event_time(message)),
                **who,
                "metadata": _metadata(m.properties(message)),
            }
            if not event["event_name"]:
                raise base.InvalidMessage("Intercom events need a name")
            return [base.VendorRecord(key, event, route=EVENTS)]
        if call_type == "group":
            group_id = m.text(message.get("groupId"))
            if not group_id:
                raise base.InvalidMessage("Intercom group needs groupId")
            payload = {"company": _company(group_id, m.traits(message)), "lookup": _lookup(who)}
            return [base.VendorRecord(key, payload, route=COMPANIES)]
        contact = {"role": "user", **_contact_ids(who), **_contact(message)}
        if m.setting(self, "updateLastRequestAt", True):
            contact["last_seen_at"] = m.unix_seconds(m.event_time(message))
        return [base.VendorRecord(key, {"contact": contact, "lookup": _lookup(who)}, route=CONTACTS)]

    def _who(self, message: Mapping[str, Any]) -> dict[str, str]:
        who: dict[str, str] = {}
        user = m.user_id(message)
        if not user and m.setting(self, "sendAnonymousId", False):
            user = m.anonymous_id(message)
        if user:
            who["user_id"] = user
        email = m.email(message)
        if email:
            who["email"] = email
        if not who:
            raise base.InvalidMessage("Intercom needs userId or traits.email to find the user")
        return who

    def _host(self) -> str:
        return self.base_url or HOSTS.get(str(m.setting(self, "apiServer", "US")).upper(), HOSTS["US"])

    def _request(self, method: str, path: str, body: Any) -> base.HttpRequest:
        headers = {
            "Authorization": f"Bearer {m.required_setting(self, 'apiKey')}",
            "Intercom-Version": API_VERSION,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        return base.HttpRequest(method, f"{self._host()}{path}", headers, m.json_bytes(body))

    async def exchange(
        self, route: str, records: Sequence[base.VendorRecord], send: base.Send
    ) -> base.Classification:
        """The requests of one record, each depending on the previous answer."""
        (record,) = records
        payload = record.payload
        if route == EVENTS:
            return _classify(await send(self._request("POST", "/events", payload)), route)
        if route == COMPANIES:
            company = await send(self._request("POST", "/companies", payload["company"]))
            if not _ok(company):
                return _classify(company, route)
            company_id = _field(company, "id")
            if company_id is None:
                return base.Classification(
                    base.Outcome.DROP, error=f"Intercom's company answer has no id: {m.short(company.body)}"
                )
        found = await send(self._request("POST", "/contacts/search", _search(payload["lookup"])))
        if not _ok(found):
            return _classify(found, route)
        matches = _field(found, "data")
        contact_id = (
            matches[0].get("id")
            if isinstance(matches, list) and matches and isinstance(matches[0], dict)
            else None
        )
        if route == COMPANIES:
            if contact_id is None:
                return base.Classification(base.Outcome.RETRY, error=CONTACT_MISSING)
            path = f"/contacts/{contact_id}/companies"
            return _classify(await send(self._request("POST", path, {"id": company_id})), route)
        if contact_id is not None:
            return _classify(
                await send(self._request("PUT", f"/contacts/{contact_id}", payload["contact"])), route
            )
        return _classify(await send(self._request("POST", "/contacts", payload["contact"])), route)


def _ok(response: base.HttpResponse) -> bool:
    return 200 <= response.status < 300


def _field(response: base.HttpResponse, name: str) -> Any:
    body = m.body_json(response.body)
    return body.get(name) if isinstance(body, dict) else None


def _classify(response: base.HttpResponse, route: str) -> base.Classification:
    """429 waits for X-RateLimit-Reset; an event for a user Intercom doesn't know yet is retried
    (the identify creating it is usually in flight), and so is a create that lost a race (409);
    other 4xx drop."""
    result = base.default_classification(response)
    if response.status == 429:
        reset = m.seconds_until(response.headers.get("x-ratelimit-reset"))
        return base.Classification(
            base.Outcome.RETRY, error=result.error, retry_after=result.retry_after or reset
        )
    body = m.body_json(response.body)
    codes = (
        {e.get("code") for e in body.get("errors", []) if isinstance(e, dict)}
        if isinstance(body, dict)
        else set()
    )
    if response.status == 404 and route == EVENTS and codes & {"not_found", "user_not_found"}:
        return base.Classification(base.Outcome.RETRY, error=result.error)
    if response.status == 409 and route == CONTACTS:
        return base.Classification(base.Outcome.RETRY, error=result.error)
    return result


def _lookup(who: Mapping[str, str]) -> dict[str, str]:
    if "user_id" in who:
        return {"field": "external_id", "value": who["user_id"]}
    return {"field": "email", "value": who["email"]}


def _search(lookup: Mapping[str, str]) -> dict[str, Any]:
    return {"query": {"field": lookup["field"], "operator": "=", "value": lookup["value"]}}


def _contact_ids(who: Mapping[str, str]) -> dict[str, str]:
    ids = {"external_id": who["user_id"]} if "user_id" in who else {}
    return {**ids, **({"email": who["email"]} if "email" in who else {})}


def _contact(message: Mapping[str, Any]) -> dict[str, Any]:
    traits = m.traits(message)
    contact: dict[str, Any] = {}
    name = traits.get("name") or " ".join(str(traits[k]) for k in ("firstName", "lastName") if traits.get(k))
    if name:
        contact["name"] = name
    if traits.get("phone"):
        contact["phone"] = str(traits["phone"])
    if traits.get("avatar"):
        contact["avatar"] = str(traits["avatar"])
    created = m.parse_time(traits.get("createdAt"))
    if created is not None:
        contact["signed_up_at"] = m.unix_seconds(created)
    reserved = {
        "name",
        "firstName",
        "lastName",
        "phone",
        "avatar",
        "createdAt",
        "email",
        "userId",
        "id",
        "company",
    }
    custom = {k: v for k, v in m.flatten(traits).items() if k.split("_")[0] not in reserved}
    contact["custom_attributes"] = {k: v[:MAX_STRING] if isinstance(v, str) else v for k, v in custom.items()}
    return contact


def _company(group_id: str, traits: Mapping[str, Any]) -> dict[str, Any]:
    company: dict[str, Any] = {"company_id": group_id}
    custom: dict[str, Any] = {}
    for key, value in m.flatten(dict(traits)).items():
        if key in COMPANY_FIELDS:
            company[COMPANY_FIELDS[key]] = value
        elif key == "createdAt" and (created := m.parse_time(value)) is not None:
            company["remote_created_at"] = m.unix_seconds(created)
        else:
            custom[key] = value
    if custom:
        company["custom_attributes"] = custom
    return company


def _metadata(props: Mapping[str, Any]) -> dict[str, Any]:
    """Flat metadata (Intercom rejects nesting): revenue + currency become a monetary amount in cents,
    strings are cut to 255 characters, at most 20 keys."""
    flat = m.flatten(dict(props))
    metadata: dict[str, Any] = {}
    revenue = flat.pop("revenue", None)
    currency = flat.pop("currency", None)
    if isinstance(revenue, int | float):
        metadata["price"] = {"amount": round(revenue * 100), "currency": str(currency or "usd").lower()}
    for key, value in flat.items():
        if len(metadata) >= MAX_METADATA_KEYS:
            break
        if value is not None:
            metadata[key] = value[:MAX_STRING] if isinstance(value, str) else value
    return metadata

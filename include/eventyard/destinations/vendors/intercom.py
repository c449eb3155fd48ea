"""Intercom: events (``POST /events``), users (``POST /users``, the upsert of API 1.4) and
companies attached to users through that same upsert.

API 2.x has no contact upsert (search, then create or update: dependent requests), so identify and
group use the 1.4 endpoint, which Intercom still serves per request through the
``Intercom-Version`` header. One event per request. See docs/destinations/intercom.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations.base import (
    Classification,
    HttpRequest,
    HttpResponse,
    Integration,
    InvalidMessage,
    Outcome,
    VendorRecord,
    default_classification,
)
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
USERS, EVENTS = "users", "events"  # routes
UPSERT_VERSION, EVENTS_VERSION = "1.4", "2.11"
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


class Intercom(Integration):
    """Intercom users, companies and events."""

    code = "intercom"
    call_types = frozenset({"track", "identify", "group"})
    max_batch_events = 1  # Intercom has no batch endpoint for these calls
    max_batch_bytes = 100_000
    max_requests_per_second = 150.0  # ~10,000 calls/min per app, enforced in 10 s windows
    secret_settings = frozenset({"apiKey"})
    base_url = ""  # empty: the region's host

    def transform(self, message: Mapping[str, Any]) -> Sequence[VendorRecord]:
        """identify → user upsert; group → user upsert with the company; track → event."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        who = self._who(message)
        if call_type == "track":
            event = {
                "event_name": str(message.get("event") or ""),
                "created_at": m.unix_seconds(m.event_time(message)),
                **who,
                "metadata": _metadata(m.properties(message)),
            }
            if not event["event_name"]:
                raise InvalidMessage("Intercom events need a name")
            return [VendorRecord(m.message_id(message), event, route=EVENTS)]
        if call_type == "group":
            group_id = m.text(message.get("groupId"))
            if not group_id:
                raise InvalidMessage("Intercom group needs groupId")
            return [
                VendorRecord(
                    m.message_id(message),
                    {**who, "companies": [_company(group_id, m.traits(message))]},
                    route=USERS,
                )
            ]
        user = {**who, **_user(message)}
        if m.setting(self, "updateLastRequestAt", True):
            user["last_request_at"] = m.unix_seconds(m.event_time(message))
        return [VendorRecord(m.message_id(message), user, route=USERS)]

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
            raise InvalidMessage("Intercom needs userId or traits.email to find the user")
        return who

    def _host(self) -> str:
        return self.base_url or HOSTS.get(str(m.setting(self, "apiServer", "US")).upper(), HOSTS["US"])

    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        """``POST /users`` (version 1.4) or ``POST /events`` (2.x, or 1.4 when apiVersion is v1)."""
        (record,) = records
        legacy = m.setting(self, "apiVersion", "v2") == "v1"
        version = UPSERT_VERSION if route == USERS or legacy else EVENTS_VERSION
        headers = {
            "Authorization": f"Bearer {m.required_setting(self, 'apiKey')}",
            "Intercom-Version": version,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        return HttpRequest("POST", f"{self._host()}/{route}", headers, m.json_bytes(record.payload))

    def classify(self, response: HttpResponse, records: Sequence[VendorRecord]) -> Classification:
        """429 waits for X-RateLimit-Reset; an event for a user Intercom doesn't know yet is retried
        (the identify creating it is usually in flight); other 4xx drop."""
        result = default_classification(response)
        if response.status == 429:
            reset = m.seconds_until(response.headers.get("x-ratelimit-reset"))
            return Classification(Outcome.RETRY, error=result.error, retry_after=result.retry_after or reset)
        if response.status == 404 and records and records[0].route == EVENTS:
            body = m.body_json(response.body)
            codes = {e.get("code") for e in body.get("errors", [])} if isinstance(body, dict) else set()
            if codes & {"not_found", "user_not_found"}:
                return Classification(Outcome.RETRY, error=result.error)
        return result


def _user(message: Mapping[str, Any]) -> dict[str, Any]:
    traits = m.traits(message)
    user: dict[str, Any] = {}
    name = traits.get("name") or " ".join(str(traits[k]) for k in ("firstName", "lastName") if traits.get(k))
    if name:
        user["name"] = name
    if traits.get("phone"):
        user["phone"] = str(traits["phone"])
    created = m.parse_time(traits.get("createdAt"))
    if created is not None:
        user["signed_up_at"] = m.unix_seconds(created)
    reserved = {"name", "firstName", "lastName", "phone", "createdAt", "email", "userId", "id", "company"}
    custom = {k: v for k, v in m.flatten(traits).items() if k.split("_")[0] not in reserved}
    user["custom_attributes"] = {k: v[:MAX_STRING] if isinstance(v, str) else v for k, v in custom.items()}
    return user


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

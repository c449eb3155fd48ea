"""HubSpot: contacts via ``/crm/v3/objects/contacts/batch/upsert`` (identify) and custom
behavioral events via ``/events/v3/send/batch`` (track).

Events carry ``uuid`` derived from messageId so a resend is the same occurrence. Contact inputs
carry ``objectWriteTraceId`` so a 207 fails exactly the inputs it names, and inputs an answer
neither confirms nor refuses are retried; 429 bodies name the limit that was hit.
See docs/destinations/hubspot.md.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "page": "HubSpot records page views through its own tracking code; there is no server page API",
    "screen": "HubSpot has no screen-view API",
    "group": "company upserts need a custom unique-ID property and associations need HubSpot's object ids "
    "(dependent requests); not delivered server-side",
    "alias": "HubSpot merges contacts only by its own object ids; there is no alias API",
}
CONTACTS, EVENTS = "contacts", "events"  # routes
# Segment trait → HubSpot contact property.
CONTACT_PROPERTIES = {
    "firstName": "firstname",
    "lastName": "lastname",
    "company": "company",
    "phone": "phone",
    "website": "website",
    "title": "jobtitle",
}
ADDRESS_PROPERTIES = {
    "street": "address",
    "city": "city",
    "state": "state",
    "postalCode": "zip",
    "country": "country",
}
EVENT_NAMESPACE = uuid.UUID("6f0c8d4e-3c1a-4b57-9a52-2d1f1e3a9b10")


def property_name(name: str) -> str:
    """HubSpot internal property names: lower case, spaces and dots become underscores."""
    return re.sub(r"[\s.]+", "_", name.strip()).lower()


def _as_property(value: Any) -> Any:
    # HubSpot properties are scalars; objects and arrays travel as JSON text.
    return m.as_text(value) if isinstance(value, dict | list) else value


class Hubspot(base.Integration):
    """HubSpot CRM contacts and custom behavioral events."""

    code = "hubspot"
    call_types = frozenset({"track", "identify"})
    max_batch_events = 500  # events per /events/v3/send/batch
    max_batch_bytes = 3_000_000
    max_requests_per_second = 10.0  # private apps: 100 requests per 10 s on Free/Starter
    secret_settings = frozenset({"accessToken", "apiKey"})
    base_url = "https://api.hubapi.com"

    def batch_limit(self, route: str) -> int:
        """Batch upsert takes 100 contacts; event batches take 500."""
        return 100 if route == CONTACTS else self.max_batch_events

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """identify → contact upsert keyed by the lookup field; track → configured custom event."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        if call_type == "identify":
            return [base.VendorRecord(m.message_id(message), self._contact(message), route=CONTACTS)]
        return [base.VendorRecord(m.message_id(message), self._event(message), route=EVENTS)]

    def _contact(self, message: Mapping[str, Any]) -> dict[str, Any]:
        lookup = str(m.setting(self, "lookupField", "email"))
        traits = m.traits(message)
        key = traits.get(lookup) if lookup != "email" else (m.email(message) or traits.get("email"))
        if key in (None, ""):
            raise base.InvalidMessage(f"HubSpot identify needs traits.{lookup} (the contact lookup field)")
        properties: dict[str, Any] = {}
        for trait, value in traits.items():
            if trait == "address" and isinstance(value, dict):
                for part, target in ADDRESS_PROPERTIES.items():
                    if value.get(part) is not None:
                        properties[target] = value[part]
            elif value is not None:
                properties[CONTACT_PROPERTIES.get(trait, property_name(trait))] = _as_property(value)
        return {"idProperty": property_name(lookup), "id": str(key), "properties": properties}

    def _event(self, message: Mapping[str, Any]) -> dict[str, Any]:
        event = str(message.get("event") or "")
        configured = m.setting(self, "hubspotEvents") or []
        props = m.properties(message)
        if configured:
            match = next((c for c in configured if isinstance(c, dict) and c.get("eventName") == event), None)
            if match is None:
                raise base.SkipMessage(f"{event!r} is not one of the configured HubSpot custom events")
            name = str(match.get("hubspotEventName"))
            pairs = match.get("eventProperties") or []
            mapped = {p["to"]: props.get(p["from"]) for p in pairs if isinstance(p, dict) and "from" in p}
            properties = {k: _as_property(v) for k, v in mapped.items() if v is not None}
        else:
            hub = m.required_setting(self, "hubID")
            name = f"pe{hub}_{property_name(re.sub(r'[^A-Za-z0-9 ._]', '', event))}"
            properties = {property_name(k): _as_property(v) for k, v in props.items() if v is not None}
        item: dict[str, Any] = {
            "eventName": name,
            "occurredAt": m.iso(m.event_time(message)),
            "uuid": str(uuid.uuid5(EVENT_NAMESPACE, m.message_id(message))),
            "properties": properties,
        }
        email = m.email(message)
        utk = props.get("hubspotutk") or props.get("utk")
        if email:
            item["email"] = email
        elif utk:
            item["utk"] = str(utk)
        else:
            raise base.InvalidMessage("HubSpot events need the contact's email (traits.email) or a utk")
        return item

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """Batch upsert or event batch, ``{"inputs": [...]}``, private-app token as Bearer."""
        path = "/crm/v3/objects/contacts/batch/upsert" if route == CONTACTS else "/events/v3/send/batch"
        headers = {"Content-Type": "application/json"}
        url = f"{self.base_url}{path}"
        if m.setting(self, "authorizationType", "privateAppToken") == "legacyApiKey":
            url += f"?hapikey={m.required_setting(self, 'apiKey')}"
        else:
            headers["Authorization"] = f"Bearer {m.required_setting(self, 'accessToken')}"
        inputs = [r.payload for r in records]
        if route == CONTACTS:  # HubSpot echoes the trace id in results and names it in errors
            inputs = [{**payload, "objectWriteTraceId": str(i)} for i, payload in enumerate(inputs)]
        return base.HttpRequest("POST", url, headers, m.json_bytes({"inputs": inputs}))

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """Contact upserts: per input (see ``_per_input``); event batches: 207 → the inputs named in
        ``errors[].context``; 429 → wait for the named limit."""
        body = m.body_json(response.body)
        if response.status == 429:
            return base.Classification(
                base.Outcome.RETRY, error=m.short(response.body), retry_after=_rate_limit_wait(response, body)
            )
        if records and records[0].route == CONTACTS and response.status in (200, 201, 207):
            return _per_input(body, records)
        if response.status != 207 or not isinstance(body, dict):
            return base.default_classification(response)
        failed: dict[int, str] = {}
        by_id = {str(r.payload.get("id")): i for i, r in enumerate(records) if r.route == CONTACTS}
        for error in body.get("errors") or []:
            context = error.get("context") or {}
            text = f"HubSpot {error.get('category', 'error')}: {error.get('message', '')}"
            for value in context.get("ids") or []:
                if str(value) in by_id:
                    failed[by_id[str(value)]] = text
            for value in context.get("index") or []:
                if str(value).isdigit() and int(value) < len(records):
                    failed[int(value)] = text
        if not failed:  # errors we cannot attribute: park the whole batch where replay can reach it
            return base.Classification(base.Outcome.DROP, error=f"HTTP 207: {m.short(response.body)}")
        return base.Classification(base.Outcome.PARTIAL, error=next(iter(failed.values())), failed=failed)


def _per_input(body: Any, records: Sequence[base.VendorRecord]) -> base.Classification:
    """A contact upsert answer, input by input (each carried ``objectWriteTraceId`` = its index).

    An input is done when a result echoes its trace id (or, failing that, its lookup value), failed
    when an error names it (dead-lettered with HubSpot's message), and otherwise unconfirmed: tried
    again with backoff, since an upsert may safely be repeated. So a ``207`` fails only the inputs
    it names, and ``200 {"results": [], "errors": []}`` is not a success.
    """
    body = body if isinstance(body, dict) else {}
    results = [r for r in body.get("results") or [] if isinstance(r, dict)]
    done = {str(r["objectWriteTraceId"]) for r in results if r.get("objectWriteTraceId") is not None}
    written = {str(v).lower() for r in results for v in (r.get("properties") or {}).values() if v is not None}
    failed: dict[int, str] = {}
    by_id = {str(r.payload.get("id")).lower(): i for i, r in enumerate(records)}
    for error in body.get("errors") or []:
        if not isinstance(error, dict):
            continue
        context = error.get("context")
        context = context if isinstance(context, dict) else {}
        text = f"HubSpot {error.get('category', 'error')}: {error.get('message', '')}"
        for trace in context.get("objectWriteTraceId") or []:
            if str(trace).isdigit() and int(trace) < len(records):
                failed[int(trace)] = text
        for value in context.get("ids") or []:
            if str(value).lower() in by_id:
                failed[by_id[str(value).lower()]] = text
    unconfirmed = tuple(
        i
        for i, record in enumerate(records)
        if i not in failed and str(i) not in done and str(record.payload.get("id")).lower() not in written
    )
    if not failed and not unconfirmed:
        return base.Classification(base.Outcome.SUCCESS)
    error = next(iter(failed.values()), "HubSpot's answer neither confirmed nor refused these contacts")
    return base.Classification(base.Outcome.PARTIAL, error=error, failed=failed, retry=unconfirmed)


def _rate_limit_wait(response: base.HttpResponse, body: Any) -> float:
    header = response.headers.get("retry-after")
    if header and header.replace(".", "", 1).isdigit():
        return float(header)
    policy = str(body.get("policyName", "")) if isinstance(body, dict) else ""
    if policy == "DAILY":
        now = datetime.now(UTC)
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (tomorrow - now).total_seconds()
    return 10.0  # the ten-second rolling window

"""Optimizely: the Event API (``POST logx.optimizely.com/v1/events``) for conversions.

Experiments still run in the browser snippet, which assigns the visitor id; a conversion sent
server-side must carry the same id to be attributed to the visitor's variations
(``enrich_decisions: true`` lets Optimizely look the decisions up). The visitor id is
``integrations.Optimizely.visitorId``, else ``context.optimizelyEndUserId``, else the userId or
anonymousId. A track event mapped in ``eventsMapping`` to its event entity id (numeric; the
mapping's key is also sent as the event key) becomes one snapshot event with ``uuid`` =
messageId (Optimizely's dedupe key), ``timestamp`` in ms, ``revenue`` in cents and
``value``; properties go as ``tags`` without personal data. See docs/destinations/optimizely.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard import __version__
from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "identify": "the Event API takes events; attributes come from the browser snippet",
    "page": "page views are recorded by the Optimizely snippet in the browser",
    "screen": "app experiments use Optimizely's Feature Experimentation SDKs",
    "group": "Optimizely has no group call",
    "alias": "Optimizely has no alias call",
}


class Optimizely(base.Integration):
    """Optimizely Web Experimentation conversions through the Event API."""

    code = "optimizely"
    call_types = frozenset({"track"})
    max_batch_events = 100  # visitors per request (Eventyard's cut: keeps bodies well under 1 MB)
    max_batch_bytes = 1_000_000
    base_url = "https://logx.optimizely.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One visitor with one snapshot event."""
        m.require_call_type(message, SKIP_REASONS)
        entity = conv.mapped_numeric_id(self, message, "eventsMapping", "Optimizely event entity id")
        event: dict[str, Any] = {
            "entity_id": entity,
            "key": str(message.get("event")),
            "timestamp": m.unix_ms(m.event_time(message)),
            "uuid": m.message_id(message),
            "tags": {
                k: v
                for k, v in hashing.scrub(m.properties(message)).items()
                if isinstance(v, str | int | float)
            },
        }
        value = conv.conversion_value(message)
        if value is not None:
            event["revenue"] = round(value * 100)
            event["value"] = value
        visitor = {
            "visitor_id": self._visitor_id(message),
            "attributes": [],
            "snapshots": [{"decisions": [], "events": [event]}],
        }
        return [base.VendorRecord(m.message_id(message), visitor)]

    def _visitor_id(self, message: Mapping[str, Any]) -> str:
        options = conv.obj(conv.obj(message.get("integrations")).get("Optimizely"))
        for value in (options.get("visitorId"), m.context(message).get("optimizelyEndUserId")):
            if m.text(value):
                return str(value)
        who = m.user_id(message) or m.anonymous_id(message)
        if not who:
            raise base.InvalidMessage("Optimizely needs a visitor id")
        return who

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /v1/events`` with the account id and the visitors."""
        body = {
            "account_id": m.required_setting(self, "accountId"),
            "project_id": m.text(m.setting(self, "projectID")),
            "anonymize_ip": True,
            "client_name": "eventyard",
            "client_version": __version__,
            "enrich_decisions": True,
            "visitors": [r.payload for r in records],
        }
        body = {k: v for k, v in body.items() if v is not None}
        return base.HttpRequest(
            "POST", f"{self.base_url}/v1/events", {"Content-Type": "application/json"}, m.json_bytes(body)
        )

"""Heap: the server-side integrations API (bulk ``/api/integrations/track`` and
``/api/integrations/add_user_properties``) that Segment's Heap destination uses.

Events carry ``idempotency_key`` = messageId, so retries never double-count. Property values
must be strings (nested objects are flattened with ``.``). See docs/destinations/heap.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "group": "Heap's server-side API has no group/account call (account properties need Heap Connect)",
    "alias": "Heap merges identities through identify in its own SDKs; its server API has no alias call",
}
HOSTS = {"US": "https://heapanalytics.com", "EU": "https://c.eu.heap-api.com"}
MAX_KEY_CHARS = 512
MAX_VALUE_CHARS = 1024
EVENTS, USERS = "events", "users"  # routes: the two bulk endpoints


class Heap(base.Integration):
    """Heap events and user properties."""

    code = "heap"
    integration_aliases = ("Heap",)
    call_types = frozenset({"track", "identify", "page", "screen"})
    max_batch_events = 1000  # bulk events/users per request
    max_batch_bytes = 1_000_000
    base_url = ""  # empty: the data-residency host

    def _host(self) -> str:
        return self.base_url or HOSTS.get(str(m.setting(self, "dataResidency", "US")).upper(), HOSTS["US"])

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """track → the event; page → "Page viewed"; screen → "Screen viewed"; identify → user properties."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        identifier = _user_identifier(message)
        if call_type == "identify":
            user = {"user_identifier": identifier, "custom_properties": _custom(m.traits(message))}
            return [base.VendorRecord(m.message_id(message), user, route=USERS)]
        props = m.properties(message)
        if call_type == "track":
            name = str(message.get("event") or "")
        else:
            name = "Page viewed" if call_type == "page" else "Screen viewed"
            if message.get("name"):
                props.setdefault("name", message.get("name"))
        if not name:
            raise base.InvalidMessage("Heap needs an event name")
        event = {
            "event": name,
            "user_identifier": identifier,
            "custom_properties": _custom(props),
            "idempotency_key": m.message_id(message),
            "timestamp": m.iso(m.event_time(message)),
        }
        return [base.VendorRecord(m.message_id(message), event, route=EVENTS)]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """One bulk request per route; ``app_id`` in the body is the only credential."""
        path = "/api/integrations/track" if route == EVENTS else "/api/integrations/add_user_properties"
        body = {
            "app_id": m.required_setting(self, "appId"),
            "library": "server",
            route: [r.payload for r in records],
        }
        return base.HttpRequest(
            "POST",
            f"{self._host()}{path}",
            headers={"Content-Type": "application/json"},
            body=m.json_bytes(body),
        )


def _user_identifier(message: Mapping[str, Any]) -> dict[str, str]:
    # Heap's identity is the userId; before login the anonymousId keeps the events together.
    if m.user_id(message):
        return {"identity": str(m.user_id(message))}
    if m.anonymous_id(message):
        return {"anonymous_id": str(m.anonymous_id(message))}
    raise base.InvalidMessage("Heap needs userId or anonymousId")


def _custom(values: Mapping[str, Any]) -> dict[str, str]:
    flat = m.flatten(values, separator=".")
    return {k[:MAX_KEY_CHARS]: m.as_text(v)[:MAX_VALUE_CHARS] for k, v in flat.items() if v is not None}

"""Keen: the bulk event API (``POST /3.0/projects/{projectID}/events``), one collection per event name.

Keen answers a bulk write with 200 and a per-collection list of ``{success, error}`` in the order
events were sent; only those failed events are reported as failed. See docs/destinations/keen.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "identify": "Keen stores events only; identify has no Keen equivalent (traits ride on later events)",
    "screen": "Keen's Segment mapping covers track and page only",
    "group": "Keen has no group/account API",
    "alias": "Keen has no aliasing API",
}
MAX_EVENT_BYTES = 900_000  # Keen rejects a single event above this
# Per-event error names Keen uses for its own transient trouble; everything else is the data's fault.
TRANSIENT_ERRORS = frozenset({"InternalServerError", "ServiceUnavailableError", "TimeoutError"})


class Keen(base.Integration):
    """Keen event collections."""

    code = "keen"
    integration_aliases = ("Keen IO",)
    call_types = frozenset({"track", "page"})
    max_batch_events = 1000
    max_batch_bytes = 9_000_000  # bulk payloads are capped at 10 MB
    secret_settings = frozenset({"writeKey"})
    base_url = "https://api.keen.io"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """track → collection named after the event; page → "Viewed {category} {name} Page"."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        collection = str(message.get("event") or "").strip() if call_type == "track" else m.page_name(message)
        _check_collection(collection)
        ctx = m.context(message)
        page = ctx.get("page") if isinstance(ctx.get("page"), dict) else {}
        props = m.properties(message)
        event: dict[str, Any] = dict(props)
        event.update(
            {
                "messageId": m.message_id(message),
                "userId": m.user_id(message),
                "anonymousId": m.anonymous_id(message),
                "user": {
                    "userId": m.user_id(message) or m.anonymous_id(message),
                    "traits": m.user_traits(message),
                },
                "request_ip": ctx.get("ip"),
                "user_agent": ctx.get("userAgent"),
                "page_url": props.get("url") or page.get("url"),
                "referrer_url": props.get("referrer") or page.get("referrer"),
                "keen": {"timestamp": m.iso(m.event_time(message)), "addons": self._addons()},
            }
        )
        event = {k: v for k, v in event.items() if v is not None}
        if len(m.json_bytes(event)) > MAX_EVENT_BYTES:
            raise base.InvalidMessage(f"Keen rejects events larger than {MAX_EVENT_BYTES} bytes")
        return [base.VendorRecord(m.message_id(message), {"collection": collection, "event": event})]

    def _addons(self) -> list[dict[str, Any]]:
        addons = []
        if m.setting(self, "ipAddon"):
            addons.append({"name": "keen:ip_to_geo", "input": {"ip": "request_ip"}, "output": "ip_geo_info"})
        if m.setting(self, "uaAddon"):
            addons.append(
                {
                    "name": "keen:ua_parser",
                    "input": {"ua_string": "user_agent"},
                    "output": "parsed_user_agent",
                }
            )
        if m.setting(self, "urlAddon"):
            addons.append(
                {"name": "keen:url_parser", "input": {"url": "page_url"}, "output": "parsed_page_url"}
            )
        if m.setting(self, "referrerAddon"):
            addons.append(
                {
                    "name": "keen:referrer_parser",
                    "input": {"referrer_url": "referrer_url", "page_url": "page_url"},
                    "output": "referrer_info",
                }
            )
        return addons

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """One bulk write: ``{collection: [events in record order]}``."""
        project = m.required_setting(self, "projectID")
        body: dict[str, list[Any]] = {}
        for record in records:
            body.setdefault(record.payload["collection"], []).append(record.payload["event"])
        return base.HttpRequest(
            "POST",
            f"{self.base_url}/3.0/projects/{project}/events",
            headers={
                "Authorization": m.required_setting(self, "writeKey"),
                "Content-Type": "application/json",
            },
            body=m.json_bytes(body),
        )

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """Map Keen's per-collection results back to record indices."""
        result = base.default_classification(response)
        if result.outcome is not base.Outcome.SUCCESS:
            return result
        answers = m.body_json(response.body)
        if not isinstance(answers, dict):
            return result
        positions: dict[str, int] = {}
        failed: dict[int, str] = {}
        transient = True
        for index, record in enumerate(records):
            collection = record.payload["collection"]
            position = positions.get(collection, 0)
            positions[collection] = position + 1
            outcomes = answers.get(collection)
            if not isinstance(outcomes, list) or position >= len(outcomes):
                continue
            outcome = outcomes[position]
            if isinstance(outcome, dict) and not outcome.get("success", False):
                error = outcome.get("error") or {}
                name = str(error.get("name", "UnknownError"))
                failed[index] = f"Keen {name}: {error.get('description', '')}"
                transient = transient and name in TRANSIENT_ERRORS
        if not failed:
            return result
        return base.Classification(
            base.Outcome.PARTIAL, error=next(iter(failed.values())), failed=failed, retry_failed=transient
        )


def _check_collection(name: str) -> None:
    # Keen's collection-name rules; a name breaking them fails every time, so dead-letter it.
    if not name:
        raise base.InvalidMessage("Keen needs a collection name: the track call has no event name")
    if len(name) > 64 or name.startswith("_") or "$" in name or not name.isascii():
        raise base.InvalidMessage(
            "Keen collection names must be ASCII, at most 64 characters, "
            f"without '$' or a leading '_': {name!r}"
        )

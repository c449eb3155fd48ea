"""Woopra: the HTTP Tracking API (``/track/ce`` for events and page views, ``/track/identify``).

No credentials: the ``project`` parameter (the domain registered in Woopra) routes the data.
One event per request. See docs/destinations/woopra.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "group": "Woopra's tracking API has no group/account call",
    "alias": "Woopra merges visitors by cookie and cv_id itself; it has no alias call",
}
# Segment trait → Woopra visitor property (cv_*) where the names differ.
TRAIT_NAMES = {"firstName": "firstname", "lastName": "lastname"}


class Woopra(base.Integration):
    """Woopra visitor tracking."""

    code = "woopra"
    call_types = frozenset({"track", "identify", "page", "screen"})
    max_batch_events = 1
    max_batch_bytes = 8_000
    base_url = "https://www.woopra.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """identify → ``/track/identify`` with ``cv_*``; track/page/screen → ``/track/ce``."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        cookie = m.anonymous_id(message) or m.user_id(message)
        if not cookie:
            raise base.InvalidMessage("Woopra needs anonymousId or userId to identify the visitor")
        ctx = m.context(message)
        params: dict[str, Any] = {"cookie": cookie, "ip": ctx.get("ip"), "cv_id": m.user_id(message)}
        for key, value in m.flatten(m.user_traits(message)).items():
            params[f"cv_{TRAIT_NAMES.get(key, key)}"] = value
        params["timestamp"] = m.unix_ms(m.event_time(message))
        if call_type == "identify":
            return [base.VendorRecord(m.message_id(message), {"path": "/track/identify", "params": params})]
        if call_type == "track":
            params["event"] = message.get("event")
        else:
            params["event"] = m.page_name(message, "Page" if call_type == "page" else "Screen")
        props = m.properties(message)
        page = ctx.get("page") if isinstance(ctx.get("page"), dict) else {}
        if call_type == "page":
            props.setdefault("url", page.get("url"))
            props.setdefault("title", page.get("title"))
            props.setdefault("referrer", page.get("referrer"))
        for key, value in m.flatten(props).items():
            params[f"ce_{key}"] = value
        params["ce_message_id"] = m.message_id(message)
        return [base.VendorRecord(m.message_id(message), {"path": "/track/ce", "params": params})]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``GET {path}?project=...&...`` for the single record."""
        (record,) = records
        params = {"project": m.required_setting(self, "projectName")}
        params.update({k: m.as_text(v) for k, v in record.payload["params"].items() if v is not None})
        return base.HttpRequest("GET", f"{self.base_url}{record.payload['path']}?{urlencode(params)}")

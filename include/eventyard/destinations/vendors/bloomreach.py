"""Bloomreach Engagement (ex-Exponea): the Tracking API's batch endpoint
(``POST {apiBaseUrl}/track/v2/projects/{projectToken}/batch``, Basic ``apiKey:apiSecret``).

track → a ``customers/events`` command (``event_type`` = event, ``timestamp`` in seconds,
properties); page/screen → the event ``page_visit`` / ``screen_view``; identify → a
``customers`` command updating the customer's properties. Customers are identified by
``customer_ids``: the userId as the hard id (``hardID``, default ``registered``), the anonymousId
as the soft id (``softID``, default ``cookie``). Contact details (email, phone) are Bloomreach
customer attributes only with ``forwardContactDetails`` on — by default they are removed, like
every other personal property. ≤ 50 commands per batch; each command's ``success`` is checked
and failed ones dead-lettered alone. See docs/destinations/bloomreach.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "group": "Bloomreach has no accounts: group traits are not customer attributes",
    "alias": "Bloomreach merges customers by their ids on tracked commands, not by alias calls",
}
CONTACT_KEYS = ("email", "phone")


class Bloomreach(base.Integration):
    """Bloomreach Engagement tracking API."""

    code = "bloomreach"
    call_types = frozenset({"track", "page", "screen", "identify"})
    max_batch_events = 50
    max_batch_bytes = 1_000_000
    secret_settings = frozenset({"projectToken", "apiKey", "apiSecret"})

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One tracking command."""
        kind = m.require_call_type(message, SKIP_REASONS)
        ids = self._customer_ids(message)
        when = m.event_time(message).timestamp()
        if kind == "identify":
            data = {
                "customer_ids": ids,
                "properties": self._clean(m.traits(message)),
                "update_timestamp": when,
            }
            return [base.VendorRecord(m.message_id(message), {"name": "customers", "data": data})]
        props = m.properties(message)
        if kind == "track":
            event = str(message.get("event") or "")
            if not event:
                raise base.InvalidMessage("a track call needs an event name")
        else:
            event = "page_visit" if kind == "page" else "screen_view"
            props.setdefault("title", message.get("name"))
        data = {"customer_ids": ids, "event_type": event, "timestamp": when, "properties": self._clean(props)}
        return [base.VendorRecord(m.message_id(message), {"name": "customers/events", "data": data})]

    def _customer_ids(self, message: Mapping[str, Any]) -> dict[str, str]:
        ids: dict[str, str] = {}
        user, anonymous = m.user_id(message), m.anonymous_id(message)
        if user:
            ids[str(m.setting(self, "hardID", "registered"))] = user
        if anonymous:
            ids[str(m.setting(self, "softID", "cookie"))] = anonymous
        if not ids:
            raise base.InvalidMessage("Bloomreach needs a userId or anonymousId")
        return ids

    def _clean(self, values: dict[str, Any]) -> dict[str, Any]:
        kept = {
            k: values[k]
            for k in CONTACT_KEYS
            if m.setting(self, "forwardContactDetails", False) and k in values
        }
        return {**hashing.scrub(values), **kept}

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /track/v2/projects/{token}/batch`` with ``{"commands": [...]}``."""
        api_base = str(m.setting(self, "apiBaseUrl", "https://api.exponea.com")).rstrip("/")
        url = f"{api_base}/track/v2/projects/{m.required_setting(self, 'projectToken')}/batch"
        auth = m.basic_auth(m.required_setting(self, "apiKey"), m.required_setting(self, "apiSecret"))
        headers = {"Content-Type": "application/json", "Authorization": auth}
        return base.HttpRequest(
            "POST", url, headers, m.json_bytes({"commands": [r.payload for r in records]})
        )

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """``results[i].success`` false → that command dead-lettered with its ``errors``."""
        body = conv.obj(m.body_json(response.body))
        if 200 <= response.status < 300:
            failed = {
                index: "Bloomreach: " + "; ".join(str(e) for e in conv.obj(result).get("errors") or [])
                for index, result in enumerate(body.get("results") or [])
                if index < len(records) and conv.obj(result).get("success") is False
            }
            return conv.per_row_verdict("Bloomreach", failed, {})
        verdict = base.default_classification(response)
        errors = body.get("errors")
        if errors:
            return base.Classification(
                verdict.outcome,
                error=f"Bloomreach {response.status}: {errors}",
                retry_after=verdict.retry_after,
            )
        return verdict

    def redact(self, text: str) -> str:
        """Secrets, also inside the Basic ``Authorization`` header."""
        return super().redact(m.redact_encoded(self, text, basic_user_setting="apiKey"))

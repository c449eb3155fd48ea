"""Sailthru (Marigold Engage): the RPC-style REST API, ``POST /user``, ``/event``, ``/purchase``.

Every request is a signed form: ``api_key``, ``format=json``, ``json={...}`` and
``sig = md5(secret + sorted parameter values)``. One call per request. Purchases carry
``purchase_keys.extid`` = the order id so a resent purchase updates rather than duplicates.
See docs/destinations/sailthru.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "page": "Sailthru page views need its v2 partner API (customerId); not delivered server-side",
    "screen": "Sailthru has no screen-view API",
    "group": "Sailthru has no group/account API",
    "alias": "Sailthru has no alias API (users are keyed by email or extid)",
}
RATE_LIMITED = 43  # Sailthru's "too many requests" error code


def signature(secret: str, params: Mapping[str, str]) -> str:
    """Sailthru's request signature: MD5 hex of the secret followed by the parameter values
    sorted as strings (computed before URL-encoding)."""
    return hashlib.md5((secret + "".join(sorted(params.values()))).encode("utf-8")).hexdigest()


class Sailthru(base.Integration):
    """Sailthru users, custom events and purchases."""

    code = "sailthru"
    call_types = frozenset({"track", "identify"})
    max_batch_events = 1
    max_batch_bytes = 500_000
    max_requests_per_second = 40.0  # the lowest per-endpoint POST ceiling (/event, /purchase)
    secret_settings = frozenset({"apiSecret"})
    base_url = "https://api.sailthru.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """identify → /user; Order Completed → /purchase; other tracks → /event."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        email, extid = m.email(message), m.user_id(message)
        if not (email or extid):
            raise base.InvalidMessage("Sailthru needs traits.email or userId (extid)")
        key, identity = ("email", email) if email else ("extid", extid)
        if call_type == "identify":
            user: dict[str, Any] = {"id": identity, "key": key, "vars": _vars(m.traits(message))}
            keys = {k: v for k, v in (("email", email), ("extid", extid)) if v and k != key}
            if keys:
                user["keys"] = keys
            lists = m.setting(self, "defaultLists") or []
            if lists:
                user["lists"] = dict.fromkeys(lists, 1)
            return [base.VendorRecord(m.message_id(message), user, route="user")]
        props = m.properties(message)
        if message.get("event") == "Order Completed":
            return [
                base.VendorRecord(
                    m.message_id(message), self._purchase(message, email, extid, props), route="purchase"
                )
            ]
        event = {"id": identity, "key": key, "event": str(message.get("event") or ""), "vars": _vars(props)}
        if not event["event"]:
            raise base.InvalidMessage("Sailthru events need a name")
        return [base.VendorRecord(m.message_id(message), event, route="event")]

    def _purchase(
        self, message: Mapping[str, Any], email: str | None, extid: str | None, props: dict[str, Any]
    ) -> dict[str, Any]:
        items = []
        for product in props.get("products") or []:
            if not isinstance(product, dict):
                continue
            if not product.get("url"):
                raise base.InvalidMessage("Sailthru purchase items need a url (products[].url)")
            items.append(
                {
                    "id": str(product.get("product_id") or product.get("sku") or ""),
                    "title": str(product.get("name") or product.get("product_id") or ""),
                    "price": round(float(product.get("price") or 0) * 100),  # integer cents
                    "qty": int(product.get("quantity") or 1),
                    "url": str(product["url"]),
                }
            )
        if not items:
            raise base.InvalidMessage("Sailthru purchases need at least one product")
        purchase: dict[str, Any] = {"items": items, "date": m.unix_seconds(m.event_time(message))}
        purchase.update({"email": email} if email else {"extid": extid, "user_id_key": "extid"})
        if props.get("order_id"):
            purchase["purchase_keys"] = {"extid": str(props["order_id"])}
        adjustments = [
            {"title": title, "price": round(float(props[field]) * 100)}
            for field, title in (("shipping", "Shipping"), ("tax", "Tax"), ("discount", "Discount"))
            if isinstance(props.get(field), int | float)
        ]
        if adjustments:
            purchase["adjustments"] = adjustments
        if m.setting(self, "reminderTemplate"):
            purchase["reminder_template"] = m.setting(self, "reminderTemplate")
            purchase["reminder_time"] = m.setting(self, "reminderTime", "+60 minutes")
        return purchase

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """The signed form for the endpoint of the route."""
        (record,) = records
        params = {
            "api_key": m.required_setting(self, "apiKey"),
            "format": "json",
            "json": m.json_bytes(record.payload).decode(),
        }
        params["sig"] = signature(m.required_setting(self, "apiSecret"), params)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        return base.HttpRequest("POST", f"{self.base_url}/{route}", headers, urlencode(params).encode())

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """Error 43 (rate limit) waits for X-Rate-Limit-Reset; other ``{error, errormsg}`` codes drop."""
        body = m.body_json(response.body)
        code = body.get("error") if isinstance(body, dict) else None
        if response.status == 429 or code == RATE_LIMITED:
            reset = m.seconds_until(response.headers.get("x-rate-limit-reset"))
            return base.Classification(
                base.Outcome.RETRY, error=f"Sailthru {code}: {m.short(response.body)}", retry_after=reset
            )
        result = base.default_classification(response)
        if isinstance(body, dict) and isinstance(code, int) and result.outcome is base.Outcome.DROP:
            return base.Classification(
                base.Outcome.DROP, error=f"Sailthru error {code}: {body.get('errormsg', '')}"
            )
        return result


def _vars(values: Mapping[str, Any]) -> dict[str, Any]:
    # Sailthru vars are flat-ish; drop the identity keys that live elsewhere in the call.
    return {k: v for k, v in values.items() if k not in ("email", "userId", "id") and v is not None}

"""Criteo: the S2S Events API (``POST widget.criteo.com/m/event?version=s2s_v0``).

One request per event and user: ``account`` (partner id), ``id.mapping_key`` (the caller id
Criteo issues) with ``id.mapped_user_id`` = the Criteo GUM id the browser synced
(``context.clickIds.crto_mapped_user_id``; without it Criteo cannot attribute, so the event is
skipped), ``retailer_visitor_id`` (userId or anonymousId), and the email only hashed — MD5,
SHA-256 and SHA-256 of the MD5 of the trimmed, lower-cased address (``id.email``). Segment's
ecommerce events map to Criteo's: Product Viewed → viewItem, Product List Viewed → viewList,
Product Added → addToCart, Cart Viewed → viewBasket, Checkout Started → beginCheckout, Order
Completed → trackTransaction (``id`` = order id, Criteo's dedupe key); page → viewPage;
``eventsMapping`` maps other track events. See docs/destinations/criteo.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.click_ids import click_id
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "identify": "Criteo takes events; the hashed email rides on each event",
    "screen": "Criteo's app events come from the mobile measurement partner",
    "group": "Criteo has no group call",
    "alias": "Criteo has no alias call",
}
STANDARD_EVENTS = {
    "Product Viewed": "viewItem",
    "Product List Viewed": "viewList",
    "Product Added": "addToCart",
    "Cart Viewed": "viewBasket",
    "Checkout Started": "beginCheckout",
    "Order Completed": "trackTransaction",
}
ITEM_LISTS = {"viewBasket", "addToCart", "beginCheckout", "trackTransaction"}


class Criteo(base.Integration):
    """Criteo server-to-server events."""

    code = "criteo"
    call_types = frozenset({"track", "page"})
    max_batch_events = 1  # one user per request
    base_url = "https://widget.criteo.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """The user's ids and one Criteo event."""
        kind = m.require_call_type(message, SKIP_REASONS)
        gum = click_id(message, "crto_mapped_user_id")
        if not gum:
            raise base.SkipMessage(
                "no Criteo GUM id (crto_mapped_user_id): the browser never synced with Criteo"
            )
        event = self._event(message, kind)
        ctx = m.context(message)
        page = conv.obj(ctx.get("page"))
        ids: dict[str, Any] = {"mapping_key": m.required_setting(self, "callerId"), "mapped_user_id": gum}
        email = hashing.message_email(message)
        normalized = hashing.normalize_email(email) if email else None
        if normalized:
            md5 = hashing.md5_hex(normalized)
            ids["email"] = {
                "md5": md5,
                "sha256": hashing.sha256_hex(normalized),
                "sha256_md5": hashing.sha256_hex(md5),
            }
        body = {
            "account": m.required_setting(self, "accountId"),
            "site_type": str(m.setting(self, "siteType", "d")),
            "id": ids,
            "retailer_visitor_id": m.user_id(message) or m.anonymous_id(message),
            "ip": m.text(ctx.get("ip")),
            "useragent": m.text(ctx.get("userAgent")),
            "full_url": hashing.scrub_url(
                m.properties(message).get("url") if kind == "page" else page.get("url")
            ),
            "previous_url": hashing.scrub_url(page.get("referrer")),
            "events": [event],
        }
        return [
            base.VendorRecord(m.message_id(message), {k: v for k, v in body.items() if v not in (None, "")})
        ]

    def _event(self, message: Mapping[str, Any], kind: str) -> dict[str, Any]:
        when = m.iso(m.event_time(message))
        if kind == "page":
            return {"event": "viewPage", "timestamp": when}
        name = str(message.get("event") or "")
        criteo = {**STANDARD_EVENTS, **conv.event_mapping(self, "eventsMapping")}.get(name)
        if not criteo:
            raise base.SkipMessage(f"event {name!r} has no Criteo equivalent (add it to eventsMapping)")
        event: dict[str, Any] = {"event": criteo, "timestamp": when}
        items = [p for p in conv.products(message) if conv.product_id(p)]
        if criteo == "viewItem":
            if not items:
                raise base.InvalidMessage("viewItem needs a product_id")
            event["item"] = conv.product_id(items[0])
        elif criteo == "viewList":
            event["item"] = [conv.product_id(p) for p in items][:3]
        elif criteo in ITEM_LISTS:
            event["item"] = [
                {"id": conv.product_id(p), "price": p.get("price", 0), "quantity": conv.quantity(p)}
                for p in items
            ]
        if criteo == "trackTransaction":
            order = conv.order_id(message)
            if not order:
                raise base.InvalidMessage("trackTransaction needs an order_id (Criteo's dedupe key)")
            event["id"] = order
            event["currency"] = conv.currency(message, "USD")
        return event

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /m/event?version=s2s_v0`` with the JSON body."""
        url = f"{self.base_url}/m/event?version=s2s_v0"
        return base.HttpRequest(
            "POST", url, {"Content-Type": "application/json"}, m.json_bytes(records[0].payload)
        )

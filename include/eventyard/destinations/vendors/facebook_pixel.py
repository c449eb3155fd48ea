"""Facebook Pixel, server side: the Meta Conversions API (``POST /{pixelId}/events``).

``event_id`` = messageId, the key Meta deduplicates on (against the browser Pixel's ``eventID``
too). Only track and page map to web conversions. The access token travels in the JSON body, not
the URL, so it cannot end up in access logs. See docs/destinations/facebook_pixel.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m
from eventyard.destinations.vendors import _meta_graph as graph

SKIP_REASONS = {
    "identify": "the Conversions API takes events only; traits are sent hashed as user_data on events",
    "screen": "screens are app events: use the Facebook App Events destination",
    "group": "the Conversions API has no group call",
    "alias": "the Conversions API has no alias call",
}
STANDARD_EVENTS = {  # Segment's e-commerce spec name, lower-cased -> Meta's standard event
    "product viewed": "ViewContent",
    "product list viewed": "ViewContent",
    "product added": "AddToCart",
    "product added to wishlist": "AddToWishlist",
    "checkout started": "InitiateCheckout",
    "payment info entered": "AddPaymentInfo",
    "products searched": "Search",
    "order completed": "Purchase",
}
MAX_AGE = timedelta(days=7)
# Properties that are PII: never sent in custom_data unless explicitly allowed.
PII_PROPERTIES = frozenset(
    {"email", "phone", "firstName", "lastName", "name", "address", "birthday", "gender"}
)
SPEC_PROPERTIES = frozenset({"products", "product_id", "sku", "currency", "order_id", "query", "url"})


class FacebookPixel(base.Integration):
    """Meta Conversions API for web events."""

    code = "facebook_pixel"
    call_types = frozenset({"track", "page"})
    max_batch_events = 1000
    max_batch_bytes = 2_000_000
    secret_settings = frozenset({"accessToken"})
    base_url = graph.GRAPH_URL

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """track → standard or custom event with custom_data; page → PageView."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        when = m.recent_event_time(message, MAX_AGE, "Meta rejects events older than 7 days")
        ctx = m.context(message)
        page = ctx.get("page") if isinstance(ctx.get("page"), dict) else {}
        props = m.properties(message)
        name = "PageView" if call_type == "page" else self._event_name(str(message.get("event") or ""))
        if not name:
            raise base.InvalidMessage("Meta events need a name")
        event: dict[str, Any] = {
            "event_name": str(name),
            "event_time": m.unix_seconds(when),
            "event_id": m.message_id(message),
            "action_source": str(m.setting(self, "actionSource", "website")),
            "event_source_url": props.get("url") or page.get("url"),
            "user_data": self._user_data(message, ctx, props),
            "custom_data": self._custom_data(props),
        }
        if event["action_source"] == "website" and not (
            event["event_source_url"] and event["user_data"].get("client_user_agent")
        ):
            raise base.InvalidMessage(
                "Meta requires event_source_url and client_user_agent on website events "
                "(set actionSource for events that do not come from a browser)"
            )
        if event["event_name"] == "Purchase" and not (
            "value" in event["custom_data"] and "currency" in event["custom_data"]
        ):
            raise base.InvalidMessage("Meta requires value and currency on Purchase events")
        if m.setting(self, "limitedDataUse", False):
            event["data_processing_options"] = ["LDU"]
            event["data_processing_options_country"] = int(m.setting(self, "dpoCountry", 0))
            event["data_processing_options_state"] = int(m.setting(self, "dpoState", 0))
        return [
            base.VendorRecord(m.message_id(message), {k: v for k, v in event.items() if v not in (None, {})})
        ]

    def _event_name(self, event: str) -> str:
        """The configured mapping (exact names), else Meta's standard event for a Segment spec name
        (matched case-insensitively: ``order completed`` is a Purchase), else the name itself."""
        custom = _pairs(m.setting(self, "eventsToEvents"))
        return custom.get(event) or STANDARD_EVENTS.get(" ".join(event.lower().split())) or event

    def _user_data(
        self, message: Mapping[str, Any], ctx: dict[str, Any], props: dict[str, Any]
    ) -> dict[str, Any]:
        user = {key: [value] for key, value in graph.hashed_user_data(message).items()}
        external = graph.external_id(message)
        if external and not m.setting(self, "removeExternalId", False):
            user["external_id"] = [external]
        for key, value in (("client_ip_address", ctx.get("ip")), ("client_user_agent", ctx.get("userAgent"))):
            if value:
                user[key] = value
        for key in ("fbp", "fbc"):
            value = props.get(key) or ctx.get(key)
            if value:
                user[key] = value
        return user

    def _custom_data(self, props: dict[str, Any]) -> dict[str, Any]:
        allowed = set(m.setting(self, "piiPropertiesAllowList") or [])
        denied = set(m.setting(self, "piiPropertiesDenyList") or [])
        data = {
            k: v
            for k, v in props.items()
            if k not in SPEC_PROPERTIES and k not in denied and (k not in PII_PROPERTIES or k in allowed)
        }
        field = str(m.setting(self, "valueFieldIdentifier", "properties.value")).removeprefix("properties.")
        value = props.get(field, props.get("value", props.get("revenue")))
        if isinstance(value, int | float):
            data["value"] = value
        if props.get("currency"):
            data["currency"] = str(props["currency"]).upper()
        products = [p for p in props.get("products") or [] if isinstance(p, dict)]
        ids = [
            str(p.get("product_id") or p.get("sku")) for p in products if p.get("product_id") or p.get("sku")
        ]
        if not ids and (props.get("product_id") or props.get("sku")):
            ids = [str(props.get("product_id") or props.get("sku"))]
        if ids:
            data["content_ids"] = ids
            data["content_type"] = "product"
        if products:
            data["contents"] = [
                {
                    "id": str(p.get("product_id") or p.get("sku")),
                    "quantity": p.get("quantity", 1),
                    "item_price": p.get("price"),
                }
                for p in products
                if p.get("product_id") or p.get("sku")
            ]
            data["num_items"] = sum(int(p.get("quantity") or 1) for p in products)
        if props.get("order_id"):
            data["order_id"] = str(props["order_id"])
        if props.get("query"):
            data["search_string"] = str(props["query"])
        return data

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /{version}/{pixelId}/events`` with ``{data, access_token[, test_event_code]}``."""
        pixel = m.required_setting(self, "pixelId")
        body: dict[str, Any] = {
            "data": [r.payload for r in records],
            "access_token": m.required_setting(self, "accessToken"),
        }
        if m.setting(self, "testDestination", False) and m.setting(self, "testEventCode"):
            body["test_event_code"] = m.setting(self, "testEventCode")
        url = f"{self.base_url}/{graph.GRAPH_VERSION}/{pixel}/events"
        return base.HttpRequest("POST", url, {"Content-Type": "application/json"}, m.json_bytes(body))

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """Graph error codes (see ``_meta_graph.classify_graph``)."""
        return graph.classify_graph(response, records)


def _pairs(value: Any) -> dict[str, str]:
    """A mapping setting given as a dict or as RudderStack-style ``[{"from": ..., "to": ...}]``."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {
            str(p["from"]): str(p["to"]) for p in value if isinstance(p, dict) and "from" in p and "to" in p
        }
    return {}

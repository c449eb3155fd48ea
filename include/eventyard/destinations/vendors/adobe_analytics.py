"""Adobe Analytics: the Data Insertion API (``POST https://{trackingServer}/b/ss//6``, XML).

One hit per request, for report suites with timestamps enabled (or optional): ``<timestamp>``
is the event time. page/screen → a page view (``pageName``); track → a link hit
(``linkType`` o, ``linkName`` = event) with ``events`` from ``eventsToAdobeEvents`` plus the
commerce events of Segment's spec (Product Viewed → prodView, Product Added → scAdd, Product
Removed → scRemove, Cart Viewed → scView, Checkout Started → scCheckout, Order Completed →
purchase), ``products`` (``;sku;qty;price``) and ``purchaseID`` = order id (Adobe counts a purchase
ID once). eVars, props, hierarchies, lists and context data come from the mapping settings;
properties holding personal data are never mapped. The visitor is the Experience Cloud ID when the
browser passed it (``integrations["Adobe Analytics"].marketingCloudVisitorId``), else
``visitorID`` = the anonymousId (or userId with ``preferVisitorId``). Adobe answers
``<status>FAILURE</status>`` with a reason for hits it refuses. See docs/destinations/adobe_analytics.md.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "identify": "the Data Insertion API records hits; visitor ids ride on each hit",
    "group": "Adobe Analytics has no group call",
    "alias": "Adobe Analytics has no alias call",
}
COMMERCE_EVENTS = {
    "Product Viewed": "prodView",
    "Product Added": "scAdd",
    "Product Removed": "scRemove",
    "Cart Viewed": "scView",
    "Checkout Started": "scCheckout",
    "Order Completed": "purchase",
}
VARIABLE = re.compile(r"^(eVar|prop|hier|list)(\d{1,3})$")
SAFE_ID = re.compile(r"[^A-Za-z0-9_.-]")


class AdobeAnalytics(base.Integration):
    """Adobe Analytics Data Insertion API."""

    code = "adobe_analytics"
    call_types = frozenset({"track", "page", "screen"})
    max_batch_events = 1  # one hit per request
    scheme = "https"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One XML hit."""
        kind = m.require_call_type(message, SKIP_REASONS)
        ctx = m.context(message)
        props = m.properties(message)
        page = conv.obj(ctx.get("page"))
        hit: list[tuple[str, str]] = [("reportSuiteID", ",".join(self._suites()))]
        hit += self._visitor(message)
        if m.setting(self, "timestampOption", "enabled") != "disabled":
            hit.append(("timestamp", m.event_time(message).isoformat()))
        if kind in ("page", "screen"):
            name = (
                m.text(message.get("name")) or m.text(props.get("name")) or m.page_name(message, kind.title())
            )
            hit.append(("pageName", name))
            hit.append(("pageURL", hashing.scrub_url(props.get("url") or page.get("url")) or ""))
            hit.append(("referrer", hashing.scrub_url(props.get("referrer") or page.get("referrer")) or ""))
        else:
            event = str(message.get("event") or "")
            if not event:
                raise base.InvalidMessage("a track call needs an event name")
            hit += [
                ("linkType", "o"),
                ("linkName", event),
                ("pageURL", hashing.scrub_url(page.get("url")) or ""),
            ]
            hit += self._commerce(message, event)
        hit += self._variables(props)
        hit += [("ipaddress", str(ctx.get("ip") or "")), ("userAgent", str(ctx.get("userAgent") or ""))]
        return [base.VendorRecord(m.message_id(message), [(k, v) for k, v in hit if v])]

    def _suites(self) -> list[str]:
        suites = m.setting(self, "reportSuiteIds") or []
        suites = [
            str(s).strip() for s in (suites if isinstance(suites, list) else [suites]) if str(s).strip()
        ]
        if not suites:
            raise base.InvalidMessage("adobe_analytics: setting 'reportSuiteIds' is required but missing")
        return suites

    def _visitor(self, message: Mapping[str, Any]) -> list[tuple[str, str]]:
        options = conv.obj(conv.obj(message.get("integrations")).get("Adobe Analytics"))
        ecid = m.text(options.get("marketingCloudVisitorId"))
        pairs = [("marketingCloudVisitorID", ecid)] if ecid else []
        if ecid and m.setting(self, "dropVisitorId", False):
            return pairs
        who = m.user_id(message) if m.setting(self, "preferVisitorId", False) else None
        who = who or m.anonymous_id(message) or m.user_id(message)
        if not who and not ecid:
            raise base.InvalidMessage("Adobe needs a visitor id (anonymousId, userId or Experience Cloud ID)")
        return pairs + ([("visitorID", SAFE_ID.sub("", who)[:100])] if who else [])

    def _commerce(self, message: Mapping[str, Any], event: str) -> list[tuple[str, str]]:
        events = [COMMERCE_EVENTS[event]] if event in COMMERCE_EVENTS else []
        mapped = conv.event_mapping(self, "eventsToAdobeEvents").get(event)
        events += [e.strip() for e in (mapped or "").split(",") if e.strip()]
        pairs = [("events", ",".join(events))]
        items = [p for p in conv.products(message) if conv.product_id(p)]
        if items:
            products = [f";{conv.product_id(p)};{conv.quantity(p)};{p.get('price', '')}" for p in items]
            pairs.append(("products", ",".join(products)))
        order = conv.order_id(message)
        if order and "purchase" in events:
            pairs.append(("purchaseID", order[:20]))
            pairs.append(("currencyCode", conv.currency(message, "USD") or "USD"))
        return pairs

    def _variables(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for setting in ("eVarMapping", "propMapping", "hierMapping", "listMapping"):
            for prop, variable in conv.event_mapping(self, setting).items():
                value = props.get(prop)
                if VARIABLE.match(variable) and value is not None and not hashing.is_pii_key(prop):
                    pairs.append((variable, m.as_text(value)))
        context = {
            key: m.as_text(props[prop])
            for prop, key in conv.event_mapping(self, "contextDataMapping").items()
            if prop in props and not hashing.is_pii_key(prop)
        }
        return [(k, v) for k, v in pairs if "@" not in v] + [
            (f"contextData/{k}", v) for k, v in context.items() if "@" not in v
        ]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /b/ss//6`` with the hit as ``<request>`` XML."""
        root = ET.Element("request")
        context: ET.Element | None = None
        for key, value in records[0].payload:
            if key.startswith("contextData/"):
                if context is None:
                    context = ET.SubElement(root, "contextData")
                ET.SubElement(context, key.partition("/")[2]).text = value
            else:
                ET.SubElement(root, key).text = value
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        server = m.text(m.setting(self, "trackingServerSecureUrl")) or m.required_setting(
            self, "trackingServerUrl"
        )
        host = re.sub(r"^https?://", "", server).rstrip("/")
        return base.HttpRequest("POST", f"{self.scheme}://{host}/b/ss//6", {"Content-Type": "text/xml"}, body)

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """``<status>FAILURE</status><reason>…</reason>`` in a 200 drops the hit."""
        if 200 <= response.status < 300:
            try:
                root = ET.fromstring(response.body or b"<status>SUCCESS</status>")
            except ET.ParseError:
                return base.Classification(
                    base.Outcome.DROP, error=f"Adobe answered something else: {m.short(response.body)}"
                )
            status = root.findtext("status") if root.tag != "status" else root.text
            if (status or "").strip().upper() == "SUCCESS":
                return base.Classification(base.Outcome.SUCCESS)
            return base.Classification(
                base.Outcome.DROP, error=f"Adobe FAILURE: {root.findtext('reason') or ''}"
            )
        return base.default_classification(response)

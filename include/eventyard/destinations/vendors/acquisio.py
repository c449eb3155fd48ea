"""The Trade Desk: Real-Time Conversion Events API (``POST insight.adsrvr.org/track/realtimeconversion``).

The catalog's "Acquisio" row is The Trade Desk's Universal Pixel (see the catalog README); its
server-side twin is this API. A track event becomes one record with the advertiser id (``adv``),
the event tracker id (``trackerId``; per event via ``eventTagIds``), ``event_name``, ``value``
(a decimal string) and ``currency``, ``order_id`` (TTD's dedupe key, the same the pixel sends),
the page as ``referrer_url``, the items, the browser's IP, a mobile advertising id and TTD's own
cookie id when the plugin captured it (``context.clickIds.tdid``). No credentials: unknown
advertiser/tracker ids are refused with 402. See docs/destinations/acquisio.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "identify": "The Trade Desk takes conversion events only",
    "screen": "app conversions reach The Trade Desk through a mobile measurement partner",
    "group": "The Trade Desk has no group call",
    "alias": "The Trade Desk has no alias call",
}
DEVICE_ID_TYPES = {"ios": "IDFA", "android": "AAID"}


class TheTradeDesk(base.Integration):
    """The Trade Desk real-time conversions (catalog row Acquisio)."""

    code = "acquisio"
    call_types = frozenset({"track", "page"})
    max_batch_events = 500  # records per request (Eventyard's cut: TTD publishes no count limit)
    max_batch_bytes = 1_000_000
    base_url = "https://insight.adsrvr.org"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One conversion record; page → ``sitevisit``."""
        kind = m.require_call_type(message, SKIP_REASONS)
        event = "sitevisit" if kind == "page" else str(message.get("event") or "")
        tracker = conv.event_mapping(self, "eventTagIds").get(event) or m.text(m.setting(self, "trackerId"))
        if not tracker:
            raise base.InvalidMessage("set trackerId (or an eventTagIds entry for this event)")
        ctx = m.context(message)
        page = conv.obj(ctx.get("page"))
        record: dict[str, Any] = {
            "adv": m.required_setting(self, "advertiserId"),
            "tracker_id": tracker,
            "event_name": event,
            "referrer_url": hashing.scrub_url(
                m.properties(message).get("url") if kind == "page" else page.get("url")
            ),
            "client_ip": m.text(ctx.get("ip")),
            "td1": m.message_id(message),
        }
        if kind == "track":
            priced = conv.value_and_currency(message)
            if priced:
                record["value"], record["currency"] = f"{priced[0]:.2f}", priced[1]
            record["order_id"] = conv.order_id(message)
            items = [
                {"item_code": conv.product_id(p), "qty": conv.quantity(p), "price": p.get("price")}
                for p in conv.products(message)
                if conv.product_id(p)
            ]
            record["items"] = items or None
        device = conv.obj(ctx.get("device"))
        kind_of_id = DEVICE_ID_TYPES.get(str(device.get("type") or "").lower())
        if (
            m.text(device.get("advertisingId"))
            and kind_of_id
            and device.get("adTrackingEnabled") is not False
        ):
            record["adid"], record["adid_type"] = device["advertisingId"], kind_of_id
        tdid = m.text(conv.obj(ctx.get("clickIds")).get("tdid"))
        if tdid:
            record["tdid"] = tdid
        return [
            base.VendorRecord(m.message_id(message), {k: v for k, v in record.items() if v not in (None, "")})
        ]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /track/realtimeconversion`` with ``{"data": [...]}``."""
        body = m.json_bytes({"data": [r.payload for r in records]})
        return base.HttpRequest(
            "POST", f"{self.base_url}/track/realtimeconversion", {"Content-Type": "application/json"}, body
        )

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """402: the advertiser or tracker id is unknown to The Trade Desk (dropped, with that said)."""
        verdict = base.default_classification(response)
        if response.status == 402:
            return base.Classification(
                verdict.outcome,
                error=f"The Trade Desk 402 (unknown advertiser or tracker id): {m.short(response.body)}",
            )
        return verdict

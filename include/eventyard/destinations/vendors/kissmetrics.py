"""KISSmetrics: the Tracking API's query-string beacons (``GET /e``, ``/s``, ``/a``), one per request.
Products of an ecommerce event go as one ``/s`` per product (KISSmetrics keeps one value per property).

KISSmetrics answers 200 with a GIF even for bad data, so only network errors and 5xx are retried.
See docs/destinations/kissmetrics.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m


class Kissmetrics(base.Integration):
    """KISSmetrics events (``/e``), properties (``/s``) and aliases (``/a``)."""

    code = "kissmetrics"
    max_batch_events = 1  # a beacon carries exactly one event
    max_batch_bytes = 8_000  # stays well inside URL-length limits of proxies
    base_url = "https://trk.kissmetrics.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """track/page/screen → ``/e``; identify/group → ``/s``; alias → ``/a``."""
        call_type = str(message.get("type"))
        person = m.user_id(message) or m.anonymous_id(message)
        if call_type == "alias":
            previous = m.text(message.get("previousId"))
            if not (previous and m.user_id(message)):
                raise base.InvalidMessage("KISSmetrics alias needs previousId and userId")
            return [self._record(message, "/a", {"_p": previous, "_n": m.user_id(message)}, timed=False)]
        if not person:
            raise base.InvalidMessage("KISSmetrics needs userId or anonymousId as the person (_p)")
        if call_type == "identify":
            return [self._record(message, "/s", {"_p": person, **m.flatten(m.traits(message))})]
        if call_type == "group":
            group = {"id": message.get("groupId"), **m.traits(message)}
            prefixed = {f"Group - {k}": v for k, v in m.flatten(group).items()}
            return [self._record(message, "/s", {"_p": person, **prefixed})]
        name = m.event_name(message)
        if not name:
            raise base.InvalidMessage("KISSmetrics needs an event name (_n)")
        raw = m.properties(message)
        products = [p for p in raw.pop("products", None) or [] if isinstance(p, dict)]
        props = m.flatten(raw)
        if "revenue" in props:
            props["Billing Amount"] = props["revenue"]
        prefix = bool(m.setting(self, "prefixProperties", False))
        if prefix:
            props = {(k if k == "Billing Amount" else f"{name} - {k}"): v for k, v in props.items()}
        records = [self._record(message, "/e", {"_p": person, "_n": name, **props})]
        # KISSmetrics keeps one value per property, so each product of an order is its own /s row.
        for product in products:
            item = {f"{name} - {k}" if prefix else k: v for k, v in m.flatten(product).items()}
            records.append(self._record(message, "/s", {"_p": person, **item}))
        return records

    def _record(
        self, message: Mapping[str, Any], path: str, params: dict[str, Any], timed: bool = True
    ) -> base.VendorRecord:
        if timed:
            # _d=1 tells KISSmetrics to trust _t instead of the arrival time.
            params.update({"_t": m.unix_seconds(m.event_time(message)), "_d": 1})
        return base.VendorRecord(m.message_id(message), {"path": path, "params": params})

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``GET {path}?_k=KEY&...`` for the single record."""
        (record,) = records
        params = {"_k": m.required_setting(self, "apiKey")}
        params.update({k: m.as_text(v) for k, v in record.payload["params"].items() if v is not None})
        return base.HttpRequest("GET", f"{self.base_url}{record.payload['path']}?{urlencode(params)}")

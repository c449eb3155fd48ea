"""Outbrain: server-to-server conversions (``GET tr.outbrain.com/unifiedPixel``).

One request per conversion, keyed by the ``ob_click_id`` Outbrain appends to the landing URL
(captured by the browser plugin, or read from the page URL). ``name`` must equal an event-based
conversion defined in Outbrain (``conversionNameMapping`` renames events); ``orderValue``,
``currency`` and ``orderId`` (Outbrain's dedupe key for repeated conversions) go along. No
credentials: the click id identifies the marketer. See docs/destinations/outbrain.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations.base import HttpRequest, Integration, VendorRecord
from eventyard.destinations.vendors import _message as m
from eventyard.destinations.vendors._postback import postback_record, postback_request, skip_reasons

SKIP_REASONS = skip_reasons("Outbrain")


class Outbrain(Integration):
    """Outbrain server-to-server conversions."""

    code = "outbrain"
    call_types = frozenset({"track"})
    max_batch_events = 1  # one conversion per request
    base_url = "https://tr.outbrain.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[VendorRecord]:
        """A conversion with the message's ob_click_id."""
        m.require_call_type(message, SKIP_REASONS)
        extra = {"value": "orderValue", "currency": "currency", "order": "orderId"}
        names = ("ob_click_id", "name")
        record = postback_record(
            self,
            message,
            click_param="ob_click_id",
            names=names,
            mapping_setting="conversionNameMapping",
            extra=extra,
        )
        marketer = m.text(m.setting(self, "marketerId"))
        if marketer:
            record.payload["marketerId"] = marketer
        return [record]

    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        """``GET /unifiedPixel?ob_click_id=…&name=…``."""
        return postback_request(f"{self.base_url}/unifiedPixel", records[0].payload)

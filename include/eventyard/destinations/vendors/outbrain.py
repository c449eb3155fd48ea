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

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m
from eventyard.destinations.vendors._postback import PostbackIntegration


class Outbrain(PostbackIntegration):
    """Outbrain server-to-server conversions."""

    code = "outbrain"
    base_url = "https://tr.outbrain.com"
    path = "/unifiedPixel"
    vendor_name = "Outbrain"
    click_param = "ob_click_id"
    names = ("ob_click_id", "name")
    mapping_setting = "conversionNameMapping"
    extra = {"value": "orderValue", "currency": "currency", "order": "orderId"}

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """A conversion with the message's ob_click_id, and the marketer id when set."""
        records = super().transform(message)
        marketer = m.text(m.setting(self, "marketerId"))
        if marketer:
            records[0].payload["marketerId"] = marketer
        return records

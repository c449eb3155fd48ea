"""Taboola: S2S conversions (``GET trc.taboola.com/actions-handler/log/3/s2s-action``).

One request per conversion, keyed by the ``tblci`` click id Taboola appends to the landing URL
(captured by the browser plugin into ``context.clickIds``, or read from the page URL). ``name``
must equal a conversion defined in Taboola Ads (``eventNameMapping`` renames events);
``revenue``, ``currency``, ``orderid`` (Taboola's dedupe key) and ``quantity`` go along. No
credentials: the click id identifies the account. See docs/destinations/taboola.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations.base import HttpRequest, Integration, VendorRecord
from eventyard.destinations.vendors import _message as m
from eventyard.destinations.vendors._postback import postback_record, postback_request, skip_reasons

SKIP_REASONS = skip_reasons("Taboola")


class Taboola(Integration):
    """Taboola server-to-server conversions."""

    code = "taboola"
    call_types = frozenset({"track"})
    max_batch_events = 1  # one conversion per request
    base_url = "https://trc.taboola.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[VendorRecord]:
        """A conversion with the message's tblci."""
        m.require_call_type(message, SKIP_REASONS)
        extra = {"value": "revenue", "currency": "currency", "order": "orderid", "quantity": "quantity"}
        names = ("click-id", "name")
        return [
            postback_record(
                self,
                message,
                click_param="tblci",
                names=names,
                mapping_setting="eventNameMapping",
                extra=extra,
            )
        ]

    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        """``GET /actions-handler/log/3/s2s-action?click-id=…&name=…``."""
        return postback_request(f"{self.base_url}/actions-handler/log/3/s2s-action", records[0].payload)

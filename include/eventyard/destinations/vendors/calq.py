"""Calq: retired. Calq's HTTP API (``api.calq.io``) no longer exists, and the catalog marks the
destination ``retired``. The class stays so that integrations configured before the retirement
(or imported from Segment/MetaRouter) explain themselves: every event is dead-lettered with the
reason, and nothing is sent anywhere. See docs/destinations/calq.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base

FALLBACK_REASON = "its API is gone (the service is inactive and no longer in Segment's catalog)"


def retirement_reason() -> str:
    """Why Calq cannot be delivered to, as the catalog states it."""
    try:
        from eventyard.catalog.loader import load_catalog

        destination = load_catalog().get("calq")
    except Exception:  # the catalog is data; never let reading it hide the real reason
        return FALLBACK_REASON
    return destination.status_reason or FALLBACK_REASON


class Calq(base.Integration):
    """The retired Calq destination: dead-letters every event with the retirement reason."""

    code = "calq"
    max_batch_events = 1
    secret_settings = frozenset({"writeKey"})

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """Always raises InvalidMessage: there is no API left to deliver to."""
        raise base.InvalidMessage(f"Calq is retired: {retirement_reason()}")

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """Never reached (transform yields no records); refuses rather than pretend to send."""
        raise base.InvalidMessage(f"Calq is retired: {retirement_reason()}")

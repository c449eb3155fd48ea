"""Lytics: the real-time Data Collection API, ``POST /collect/json/{stream}`` with a JSON array.

Lytics wants flat records; nested properties are flattened with ``_``. The event time travels in
``_ts`` and is named by ``?timestamp_field=_ts``. See docs/destinations/lytics.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "group": "Lytics' collection mapping has no group/account call",
    "alias": "Lytics merges identities by its identity keys; it has no alias call",
}


class Lytics(base.Integration):
    """Lytics data streams."""

    code = "lytics"
    call_types = frozenset({"track", "identify", "page", "screen"})
    max_batch_events = 1000
    max_batch_bytes = 5_000_000  # uploads to api.lytics.io must stay under 10 MB
    secret_settings = frozenset({"apiKey"})
    base_url = "https://api.lytics.io"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """identify → flattened traits; track → flattened properties + ``_e``; page/screen → + ``event``."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        if call_type == "identify":
            record = m.flatten(m.traits(message))
            first, last = record.pop("firstName", None), record.pop("lastName", None)
            if first is not None:
                record["first_name"] = first
            if last is not None:
                record["last_name"] = last
        else:
            record = m.flatten(m.properties(message))
            if call_type == "track":
                record["_e"] = message.get("event")
            else:
                record["event"] = message.get("name") or m.page_name(message, call_type.capitalize())
        record.update(
            {
                "user_id": m.user_id(message),
                "anonymous_id": m.anonymous_id(message),
                "message_id": m.message_id(message),
                "_ts": m.iso(m.event_time(message)),
            }
        )
        return [base.VendorRecord(m.message_id(message), {k: v for k, v in record.items() if v is not None})]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """One JSON array per request to the configured stream, API key in ``Authorization``."""
        stream = quote(str(m.setting(self, "stream", "default")), safe="")
        return base.HttpRequest(
            "POST",
            f"{self.base_url}/collect/json/{stream}?timestamp_field=_ts",
            headers={"Authorization": m.required_setting(self, "apiKey"), "Content-Type": "application/json"},
            body=m.json_bytes([r.payload for r in records]),
        )

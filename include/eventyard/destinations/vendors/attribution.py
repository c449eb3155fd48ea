"""Attribution (attributionapp.com): Segment-spec messages passed through to ``/v1/import``.

Attribution stitches identities itself, so every call type goes through, batched as
``{"batch": [messages]}`` with the write key as the Basic-auth user. See
docs/destinations/attribution.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

# The message fields Attribution reads (Segment's and RudderStack's mappings agree on these).
PASSED_FIELDS = (
    "messageId",
    "timestamp",
    "type",
    "event",
    "name",
    "properties",
    "userId",
    "anonymousId",
    "groupId",
    "previousId",
    "context",
)


class Attribution(base.Integration):
    """Attribution's import API: all six call types, as Segment messages."""

    code = "attribution"
    max_batch_events = 100  # limits are unpublished; stay at Segment's batch size
    max_batch_bytes = 500_000
    secret_settings = frozenset({"writeKey"})
    base_url = "https://track.attributionapp.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """The message itself, trimmed to the documented fields, timestamp normalized to ISO."""
        payload: dict[str, Any] = {k: message[k] for k in PASSED_FIELDS if message.get(k) is not None}
        payload["timestamp"] = m.iso(m.event_time(message))
        traits = m.traits(message)
        traits.pop("anonymousId", None)  # Attribution treats it as a user trait otherwise
        if traits:
            payload["traits"] = traits
        return [base.VendorRecord(m.message_id(message), payload)]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /v1/import`` with ``{"batch": [...]}`` and ``Basic base64(writeKey:)``."""
        return base.HttpRequest(
            "POST",
            f"{self.base_url}/v1/import",
            headers={
                "Authorization": m.basic_auth(m.required_setting(self, "writeKey")),
                "Content-Type": "application/json",
            },
            body=m.json_bytes({"batch": [r.payload for r in records]}),
        )

    def redact(self, text: str) -> str:
        """Also hide the key inside the Basic ``Authorization`` token and in URL-encoded form."""
        return m.redact_encoded(self, super().redact(text))

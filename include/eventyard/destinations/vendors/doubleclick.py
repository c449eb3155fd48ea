"""Campaign Manager 360 (DoubleClick Floodlight): offline conversions through
``POST dfareporting.googleapis.com/dfareporting/v5/userprofiles/{profileId}/conversions/batchinsert``.

A track event mapped in ``floodlightActivityIds`` to a Floodlight activity id becomes one
conversion of the connection's Floodlight configuration: ``ordinal`` = the order id, else the
messageId (CM360 dedupes conversions of one activity by ordinal, so it must equal the ``ord``
the browser tag sent), ``timestampMicros``, ``value`` and ``quantity``, the ``gclid`` or
``dclid`` click id, else the hashed email/phone as ``userIdentifiers`` (enhanced conversions),
``limitAdTracking`` from the device. OAuth 2 refresh-token flow (scope ``ddmconversions``), see
``oauth.py``. Per-row errors come back in ``status[].errors``: INTERNAL rows are retried, the
others dead-lettered. See docs/destinations/doubleclick.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.click_ids import click_ids
from eventyard.destinations.oauth import OAuthIntegration, json_request
from eventyard.destinations.vendors import _message as m

API_VERSION = "v5"
SKIP_REASONS = {
    "identify": "CM360 takes conversions only; hashed identifiers ride on each one",
    "page": "page views are counted by the Floodlight tag; map the track event that converts",
    "screen": "app conversions reach CM360 through the Floodlight SDK integration",
    "group": "CM360 has no group call",
    "alias": "CM360 has no alias call",
}
TRANSIENT_CODES = frozenset({"INTERNAL"})


class CampaignManager(OAuthIntegration):
    """Campaign Manager 360 conversions batchinsert (catalog row DoubleClick)."""

    code = "doubleclick"
    call_types = frozenset({"track"})
    max_batch_events = 1000
    max_batch_bytes = 4_000_000
    secret_settings = frozenset({"oauthClientSecret", "refreshToken", "accessToken"})
    base_url = "https://dfareporting.googleapis.com"
    token_url = "https://oauth2.googleapis.com/token"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One conversion of the mapped Floodlight activity."""
        m.require_call_type(message, SKIP_REASONS)
        activity = conv.mapped_numeric_id(self, message, "floodlightActivityIds", "Floodlight activity id")
        items = conv.products(message)
        row: dict[str, Any] = {
            "kind": "dfareporting#conversion",
            "floodlightConfigurationId": m.required_setting(self, "floodlightConfigurationId"),
            "floodlightActivityId": activity,
            "ordinal": conv.dedupe_key(message),
            "timestampMicros": str(m.unix_ms(m.event_time(message)) * 1000),
            "value": conv.conversion_value(message) or 0,
            "quantity": str(sum(conv.quantity(p) for p in items) if items else 1),
        }
        ids = click_ids(message)
        click = next((name for name in ("gclid", "dclid") if ids.get(name)), None)
        if click:
            row[click] = ids[click]
        else:
            found = [
                ("hashedEmail", hashing.hashed_email(message)),
                ("hashedPhoneNumber", hashing.hashed_phone(message)),
            ]
            identifiers = [{key: value} for key, value in found if value]
            if not identifiers:
                raise base.SkipMessage(
                    "no gclid/dclid and no email or phone: CM360 cannot attribute the conversion"
                )
            row["userIdentifiers"] = identifiers
        device = conv.obj(m.context(message).get("device"))
        if device.get("adTrackingEnabled") is False:
            row["limitAdTracking"] = True
        return [base.VendorRecord(m.message_id(message), row)]

    def build_authorized_request(
        self, route: str, records: Sequence[base.VendorRecord], access_token: str
    ) -> base.HttpRequest:
        """``POST …/userprofiles/{profileId}/conversions/batchinsert``."""
        profile = m.required_setting(self, "profileId")
        url = f"{self.base_url}/dfareporting/{API_VERSION}/userprofiles/{profile}/conversions/batchinsert"
        body = {
            "kind": "dfareporting#conversionsBatchInsertRequest",
            "conversions": [r.payload for r in records],
        }
        return json_request(url, body, {"Authorization": f"Bearer {access_token}"})

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """``hasFailures`` → per-row ``status[i].errors``; Google API errors otherwise."""
        body = conv.obj(m.body_json(response.body))
        if 200 <= response.status < 300:
            if not body.get("hasFailures"):
                return base.Classification(base.Outcome.SUCCESS)
            dead: dict[int, str] = {}
            transient: dict[int, str] = {}
            for index, status in enumerate(body.get("status") or []):
                errors = [e for e in conv.obj(status).get("errors") or [] if isinstance(e, dict)]
                if errors and index < len(records):
                    text = "; ".join(f"{e.get('code')}: {e.get('message', '')}" for e in errors)
                    retry = all(e.get("code") in TRANSIENT_CODES for e in errors)
                    (transient if retry else dead)[index] = text
            return conv.per_row_verdict("CM360", dead, transient)
        verdict = base.default_classification(response)
        error = conv.obj(body.get("error"))
        if error:
            status = f"{error.get('code', response.status)} {error.get('status', '')}"
            text = f"CM360 {status}: {error.get('message', '')}"
            return base.Classification(verdict.outcome, error=text, retry_after=verdict.retry_after)
        return verdict

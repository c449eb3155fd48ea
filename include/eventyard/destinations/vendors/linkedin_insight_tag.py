"""LinkedIn: the Conversions API (``POST api.linkedin.com/rest/conversionEvents``, batch create).

A track event mapped in ``conversionMapping`` to one or more conversion rule ids (comma-separated)
becomes one conversion event per rule: ``conversion`` = ``urn:lla:llaPartnerConversion:{rule}``,
``conversionHappenedAt`` in ms (≤ 90 days old), ``conversionValue`` with the amount as a string,
``eventId`` = messageId (LinkedIn dedupes it against the Insight Tag's ``event_id``; the
``deduplicationKey`` setting can use ``order_id`` instead), and ``user.userIds``: the SHA-256 of
the lower-cased email and the ``li_fat_id`` click id. Names and companies (``userInfo``) are not
sent: they would leave unhashed. OAuth 2: a 60-day access token, or a refresh token exchanged at
LinkedIn's token endpoint (``oauth.py``). See docs/destinations/linkedin_insight_tag.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.click_ids import click_id
from eventyard.destinations.oauth import OAuthIntegration, json_request
from eventyard.destinations.vendors import _message as m

LINKEDIN_VERSION = "202607"
SKIP_REASONS = {
    "identify": "the Conversions API takes conversions only; the hashed email rides on each one",
    "page": "page views are not conversions: map the track event that converts",
    "screen": "LinkedIn's Conversions API measures web and offline conversions, not app screens",
    "group": "the Conversions API has no group call",
    "alias": "the Conversions API has no alias call",
}
MAX_AGE = timedelta(days=90)


class LinkedInConversions(OAuthIntegration):
    """LinkedIn Conversions API."""

    code = "linkedin_insight_tag"
    call_types = frozenset({"track"})
    max_batch_events = 5000
    max_batch_bytes = 5_000_000
    secret_settings = frozenset({"accessToken", "refreshToken", "oauthClientSecret"})
    base_url = "https://api.linkedin.com"
    token_url = "https://www.linkedin.com/oauth/v2/accessToken"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One conversion event per mapped conversion rule."""
        m.require_call_type(message, SKIP_REASONS)
        rules = [
            r.strip() for r in conv.mapped_event(self, message, "conversionMapping").split(",") if r.strip()
        ]
        if not all(rule.isdigit() for rule in rules):
            raise base.InvalidMessage(f"conversion rule ids must be numeric, got {rules}")
        when = m.recent_event_time(message, MAX_AGE, "LinkedIn rejects conversions older than 90 days")
        user_ids = []
        email = hashing.hashed_email(message, prehashed=not m.setting(self, "hashData", True))
        if email:
            user_ids.append({"idType": "SHA256_EMAIL", "idValue": email})
        fat = click_id(message, "li_fat_id")
        if fat:
            user_ids.append({"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": fat})
        if not user_ids:
            raise base.InvalidMessage("LinkedIn needs the user's email or the li_fat_id click id")
        event: dict[str, Any] = {
            "conversionHappenedAt": m.unix_ms(when),
            "eventId": self._event_id(message),
            "user": {"userIds": user_ids},
        }
        priced = conv.value_and_currency(message)
        if priced:
            event["conversionValue"] = {"currencyCode": priced[1], "amount": f"{priced[0]:g}"}
        message_id = m.message_id(message)
        return [
            base.VendorRecord(message_id, {"conversion": f"urn:lla:llaPartnerConversion:{rule}", **event})
            for rule in rules
        ]

    def _event_id(self, message: Mapping[str, Any]) -> str:
        if m.setting(self, "deduplicationKey", "messageId") == "order_id":
            return conv.dedupe_key(message)
        return m.message_id(message)

    def build_authorized_request(
        self, route: str, records: Sequence[base.VendorRecord], access_token: str
    ) -> base.HttpRequest:
        """``POST /rest/conversionEvents`` as a Rest.li BATCH_CREATE of ``elements``."""
        headers = {
            "Authorization": f"Bearer {access_token}",
            "LinkedIn-Version": LINKEDIN_VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
            "X-RestLi-Method": "BATCH_CREATE",
        }
        body = {"elements": [r.payload for r in records]}
        return json_request(f"{self.base_url}/rest/conversionEvents", body, headers)

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """A batch answer lists each element's status: the failed ones are dead-lettered (5xx and
        429 elements retried); a request-level error uses LinkedIn's ``message``."""
        body = m.body_json(response.body)
        body = body if isinstance(body, dict) else {}
        if 200 <= response.status < 300:
            dead: dict[int, str] = {}
            transient: dict[int, str] = {}
            for index, element in enumerate(body.get("elements") or []):
                status = element.get("status") if isinstance(element, dict) else None
                if isinstance(status, int) and status >= 300 and index < len(records):
                    error = element.get("error") if isinstance(element.get("error"), dict) else {}
                    text = f"LinkedIn {status}: {error.get('message', '')}".strip()
                    (transient if status == 429 or status >= 500 else dead)[index] = text
            return conv.per_row_verdict("LinkedIn", dead, transient)
        verdict = base.default_classification(response)
        if body.get("message"):
            text = f"LinkedIn {response.status} {body.get('code', '')}: {body['message']}"
            return base.Classification(verdict.outcome, error=text, retry_after=verdict.retry_after)
        return verdict

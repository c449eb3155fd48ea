"""X (Twitter) Ads: the Conversions API (``POST ads-api.x.com/12/measurement/conversions/{pixelId}``).

A track event mapped in ``twitterAdsEventNames`` to an event id (``tw-{pixel}-{event}`` or the
bare base-36 id) becomes one conversion: ``conversion_time`` in ISO 8601, ``identifiers`` — the
``twclid`` click id, the SHA-256 of the lower-cased email and of the E.164 phone, the IP and user
agent — and ``conversion_id`` = messageId, which X dedupes against the pixel's
``conversion_id``. Requests are signed with OAuth 1.0a (HMAC-SHA1, oauthlib; the JSON body is not
part of the signature). X takes a batch whole or not at all, so an invalid-parameter 400 on a
batch splits it until the bad conversion is alone. See docs/destinations/twitter_ads.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oauthlib.oauth1 import Client as OAuth1Client

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.click_ids import click_id
from eventyard.destinations.vendors import _message as m

API_VERSION = "12"
SKIP_REASONS = {
    "identify": "X takes conversions only; hashed identifiers ride on each conversion",
    "page": "page views are not conversions: map the track event that converts",
    "screen": "web conversions only: app conversions come from the mobile measurement partner",
    "group": "the X Conversions API has no group call",
    "alias": "the X Conversions API has no alias call",
}
OAUTH_SETTINGS = ("consumerKey", "consumerSecret", "accessToken", "accessTokenSecret")


class TwitterAds(base.Integration):
    """X Ads web conversions."""

    code = "twitter_ads"
    call_types = frozenset({"track"})
    max_batch_events = 500
    max_batch_bytes = 1_000_000
    secret_settings = frozenset(OAUTH_SETTINGS)
    base_url = "https://ads-api.x.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One conversion per mapped track event."""
        m.require_call_type(message, SKIP_REASONS)
        event_id = conv.mapped_event(self, message, "twitterAdsEventNames")
        ctx = m.context(message)
        identifiers: list[dict[str, str]] = []
        for key, value in (
            ("twclid", click_id(message, "twclid")),
            ("hashed_email", hashing.hashed_email(message)),
            ("hashed_phone_number", hashing.hashed_phone(message)),
        ):
            if value:
                identifiers.append({key: value})
        ip, agent = m.text(ctx.get("ip")), m.text(ctx.get("userAgent"))
        if ip and agent:
            identifiers.append({"ip_address": ip, "user_agent": agent})
        if not identifiers:
            raise base.InvalidMessage("X needs a twclid, email, phone or the browser's IP and user agent")
        conversion: dict[str, Any] = {
            "conversion_time": m.iso(m.event_time(message)),
            "event_id": event_id,
            "identifiers": identifiers,
            "conversion_id": m.message_id(message),
        }
        priced = conv.value_and_currency(message)
        if priced:
            conversion["value"], conversion["price_currency"] = priced
        items = conv.products(message)
        if items:
            conversion["number_items"] = sum(conv.quantity(p) for p in items)
            conversion["contents"] = [
                {
                    k: v
                    for k, v in (
                        ("content_id", conv.product_id(p)),
                        ("content_price", p.get("price")),
                        ("num_items", conv.quantity(p)),
                    )
                    if v is not None
                }
                for p in items
            ]
        return [base.VendorRecord(m.message_id(message), conversion)]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """The JSON POST, signed with OAuth 1.0a (``Authorization: OAuth …``)."""
        pixel = m.required_setting(self, "pixelId")
        url = f"{self.base_url}/{API_VERSION}/measurement/conversions/{pixel}"
        key, secret, token, token_secret = (m.required_setting(self, s) for s in OAUTH_SETTINGS)
        signer = OAuth1Client(
            key, client_secret=secret, resource_owner_key=token, resource_owner_secret=token_secret
        )
        _, signed, _ = signer.sign(url, http_method="POST")
        headers = {"Content-Type": "application/json", "Authorization": signed["Authorization"]}
        return base.HttpRequest(
            "POST", url, headers, m.json_bytes({"conversions": [r.payload for r in records]})
        )

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """X's ``errors[]``; 429 waits until ``x-rate-limit-reset``; a 400 on several conversions
        splits the batch (X does not say which one is wrong)."""
        body = m.body_json(response.body)
        errors = body.get("errors") if isinstance(body, dict) else None
        text = "; ".join(
            f"{e.get('code', '')}: {e.get('message', '')}" for e in errors or [] if isinstance(e, dict)
        )
        verdict = base.default_classification(response)
        if response.status == 429:
            reset = m.seconds_until(response.headers.get("x-rate-limit-reset"))
            delay = verdict.retry_after if verdict.retry_after is not None else reset
            return base.Classification(base.Outcome.RETRY, error=f"X 429: {text}", retry_after=delay)
        if response.status == 400 and len(records) > 1:
            return base.Classification(base.Outcome.SPLIT, error=f"X 400: {text}")
        if text and verdict.outcome is not base.Outcome.SUCCESS:
            return base.Classification(verdict.outcome, error=f"X {response.status}: {text}")
        return verdict

"""Microsoft Advertising: the UET Conversions API (``POST capi.uet.microsoft.com/v1/{tagId}/events``).

page → ``pageLoad``; a track event → ``custom`` with ``eventName`` (``eventNameMapping``
renames it to the goal's event action). ``eventId`` = messageId: Microsoft dedupes a server event
against the UET tag event with the same ``eventId`` and ``eventName``. ``userData`` carries the
``msclkid`` click id, hashed ``em`` / ``ph``, the browser's IP and user agent and the ids;
``continueOnValidationError`` makes Microsoft keep the valid events of a batch and list the
invalid ones, which are dead-lettered alone. Bearer ``apiToken`` from the UET tag's settings.
See docs/destinations/microsoft_ads.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.click_ids import click_id
from eventyard.destinations.vendors import _message as m

SKIP_REASONS = {
    "identify": "the UET Conversions API takes events only; identifiers ride hashed on each event",
    "screen": "UET measures websites; app events are not accepted",
    "group": "the UET Conversions API has no group call",
    "alias": "the UET Conversions API has no alias call",
}
MAX_AGE = timedelta(days=7)


class MicrosoftAds(base.Integration):
    """Microsoft Advertising UET Conversions API."""

    code = "microsoft_ads"
    call_types = frozenset({"track", "page"})
    max_batch_events = 1000
    max_batch_bytes = 1_000_000
    secret_settings = frozenset({"apiToken"})
    base_url = "https://capi.uet.microsoft.com"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One UET event per message."""
        kind = m.require_call_type(message, SKIP_REASONS)
        when = m.recent_event_time(message, MAX_AGE, "Microsoft rejects events older than 7 days")
        ctx = m.context(message)
        page = conv.obj(ctx.get("page"))
        props = m.properties(message)
        event: dict[str, Any] = {
            "eventType": "pageLoad" if kind == "page" else "custom",
            "eventId": m.message_id(message),
            "eventTime": m.unix_seconds(when),
            "eventSourceUrl": hashing.scrub_url(props.get("url") if kind == "page" else page.get("url")),
            "referrerUrl": hashing.scrub_url(
                props.get("referrer") if kind == "page" else page.get("referrer")
            ),
            "pageTitle": props.get("title") if kind == "page" else page.get("title"),
            "userData": self._user_data(message, ctx),
        }
        if kind == "track":
            name = str(message.get("event") or "")
            if not name:
                raise base.InvalidMessage("a track call needs an event name")
            event["eventName"] = conv.event_mapping(self, "eventNameMapping").get(name, name)
            event["customData"] = self._custom_data(message)
        elif not event["eventSourceUrl"]:
            raise base.InvalidMessage("Microsoft needs the page URL (eventSourceUrl) of a pageLoad event")
        consent = self._consent(ctx)
        if consent:
            event["adStorageConsent"] = consent
        if not event["userData"]:
            raise base.InvalidMessage(
                "Microsoft needs at least one user identifier (msclkid, email, phone, ids)"
            )
        clean = {k: v for k, v in event.items() if v not in (None, "", {})}
        return [base.VendorRecord(m.message_id(message), clean)]

    def _user_data(self, message: Mapping[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        user: dict[str, Any] = {
            "msclkid": click_id(message, "msclkid"),
            "em": hashing.hashed_email(message),
            "ph": hashing.hashed_phone(message),
            "clientIpAddress": m.text(ctx.get("ip")),
            "clientUserAgent": m.text(ctx.get("userAgent")),
            "anonymousId": m.anonymous_id(message),
            "externalId": hashing.sha256_hex(m.user_id(message) or "") if m.user_id(message) else None,
        }
        return {k: v for k, v in user.items() if v}

    def _custom_data(self, message: Mapping[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        priced = conv.value_and_currency(message)
        if priced:
            data["value"], data["currency"] = priced
        order = conv.order_id(message)
        if order:
            data["transactionId"] = order
        items = [conv.product_id(p) for p in conv.products(message)]
        if any(items):
            data["itemIds"] = [i for i in items if i]
        return data

    def _consent(self, ctx: dict[str, Any]) -> str | None:
        consent = conv.obj(ctx.get("consent"))
        value = str(consent.get("ad_storage", "")).lower()
        if value in ("granted", "denied"):
            return "G" if value == "granted" else "D"
        configured = m.text(m.setting(self, "adStorageConsent"))
        return configured if configured in ("G", "D") else None

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``POST /v1/{tagId}/events`` with ``{data, continueOnValidationError, dataProvider}``."""
        tag = m.required_setting(self, "uetTag")
        body = {
            "data": [r.payload for r in records],
            "continueOnValidationError": True,
            "dataProvider": "Eventyard",
        }
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {m.required_setting(self, 'apiToken')}",
        }
        return base.HttpRequest("POST", f"{self.base_url}/v1/{tag}/events", headers, m.json_bytes(body))

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """Per-event ``error.details[].index`` (warnings ignored) → those events dead-lettered."""
        body = m.body_json(response.body)
        error = conv.obj(conv.obj(body).get("error"))
        failed: dict[int, str] = {}
        for detail in error.get("details") or []:
            if not isinstance(detail, dict) or detail.get("isWarning") is True:
                continue
            index = detail.get("index")
            if isinstance(index, int) and 0 <= index < len(records):
                text = f"{detail.get('errorCode', 'ValidationError')}: {detail.get('propertyName', '')} "
                failed[index] = (text + str(detail.get("errorMessage", ""))).strip()
        if 200 <= response.status < 300 or (response.status == 400 and failed):
            if failed:
                return base.Classification(
                    base.Outcome.PARTIAL, error="Microsoft rejected events", failed=failed
                )
            return base.Classification(base.Outcome.SUCCESS)
        verdict = base.default_classification(response)
        if error:
            text = f"Microsoft {response.status} {error.get('code', '')}: {error.get('message', '')}"
            return base.Classification(verdict.outcome, error=text, retry_after=verdict.retry_after)
        return verdict

"""Google Ads: conversions through the Google Ads API's ConversionUploadService (REST).

* Offline click conversions — ``customers/{id}:uploadClickConversions`` with the click id
  (``gclid``, else ``gbraid`` / ``wbraid``), and hashed email/phone as user identifiers when the
  click is a gclid or there is no click at all (enhanced conversions for leads).
* Enhanced conversions for web — ``customers/{id}:uploadConversionAdjustments`` with
  ``adjustmentType: ENHANCEMENT``: hashed identifiers added to the conversion the browser tag
  already reported under the same order id (events mapped to ``enhancement``).

Each track event is mapped in ``eventsToConversionsNamesMapping`` to a conversion action id;
``orderId`` (= ``properties.order_id``, else messageId) is Google's dedupe key, shared with the
tag's ``transaction_id``. Requests carry an OAuth 2 access token (refresh-token flow, see
``oauth.py``), the ``developer-token`` and optionally ``login-customer-id``; always
``partialFailure: true`` (required by the API). See docs/destinations/google_adwords.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base, hashing
from eventyard.destinations import conversions as conv
from eventyard.destinations.click_ids import click_ids
from eventyard.destinations.oauth import OAuthIntegration, json_request
from eventyard.destinations.vendors import _message as m

API_VERSION = "v26"
SKIP_REASONS = {
    "identify": "Google Ads takes conversions only; identifiers are sent hashed with each conversion",
    "page": "page views are not conversions: map the track event that converts",
    "screen": "screens are app events: Google Ads app conversions come from the Firebase SDK",
    "group": "Google Ads has no group call",
    "alias": "Google Ads has no alias call",
}
ROUTES = {"click": "uploadClickConversions", "enhancement": "uploadConversionAdjustments"}
LIST_KEYS = {"click": "conversions", "enhancement": "conversionAdjustments"}
ACTION_ID = re.compile(r"^(?:customers/\d+/conversionActions/)?(\d+)$")
RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


class GoogleAds(OAuthIntegration):
    """Google Ads API conversion uploads."""

    code = "google_adwords"
    call_types = frozenset({"track"})
    max_batch_events = 2000  # conversions per upload request
    max_batch_bytes = 4_000_000
    secret_settings = frozenset({"developerToken", "oauthClientSecret", "refreshToken", "accessToken"})
    base_url = "https://googleads.googleapis.com"
    token_url = "https://oauth2.googleapis.com/token"

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """A mapped track event → one click conversion or one ENHANCEMENT adjustment."""
        m.require_call_type(message, SKIP_REASONS)
        action = self._conversion_action(conv.mapped_event(self, message, "eventsToConversionsNamesMapping"))
        kind = conv.event_mapping(self, "eventsToOfflineConversionsTypeMapping").get(
            str(message.get("event")), "click"
        )
        when = m.event_time(message).strftime("%Y-%m-%d %H:%M:%S+00:00")
        ids = click_ids(message)
        identifiers = self._identifiers(message)
        key = conv.dedupe_key(message)
        if kind == "enhancement":
            if not identifiers:
                raise base.InvalidMessage("an enhanced conversion needs the user's email or phone")
            adjustment: dict[str, Any] = {
                "conversionAction": action,
                "adjustmentType": "ENHANCEMENT",
                "orderId": key,
                "userIdentifiers": identifiers,
            }
            if ids.get("gclid"):
                adjustment["gclidDateTimePair"] = {"gclid": ids["gclid"], "conversionDateTime": when}
            agent = m.text(m.context(message).get("userAgent"))
            if agent:
                adjustment["userAgent"] = agent
            return [base.VendorRecord(m.message_id(message), adjustment, "enhancement")]
        if kind != "click":
            raise base.InvalidMessage(f"conversion type {kind!r} is not supported (use click or enhancement)")
        conversion: dict[str, Any] = {"conversionAction": action, "conversionDateTime": when, "orderId": key}
        click = next((name for name in ("gclid", "gbraid", "wbraid") if ids.get(name)), None)
        if click:
            conversion[click] = ids[click]
        if identifiers and click in (None, "gclid"):  # gbraid/wbraid take no user identifiers
            conversion["userIdentifiers"] = identifiers
        if not click and not identifiers:
            raise base.SkipMessage("no Google click id (gclid/gbraid/wbraid) and no email or phone to match")
        priced = conv.value_and_currency(message)
        if priced:
            conversion["conversionValue"], conversion["currencyCode"] = priced
        variables = self._custom_variables(message)
        if variables:
            conversion["customVariables"] = variables
        consent = self._consent(message)
        if consent:
            conversion["consent"] = consent
        return [base.VendorRecord(m.message_id(message), conversion, "click")]

    def _conversion_action(self, mapped: str) -> str:
        match = ACTION_ID.match(mapped)
        if not match:
            raise base.InvalidMessage(
                f"conversion action {mapped!r} must be the numeric id (or customers/…/conversionActions/id)"
            )
        return f"customers/{self._customer_id()}/conversionActions/{match.group(1)}"

    def _customer_id(self) -> str:
        return m.required_setting(self, "customerId").replace("-", "")

    def _identifiers(self, message: Mapping[str, Any]) -> list[dict[str, str]]:
        prehashed = not m.setting(self, "hashUserIdentifier", True)
        found = [
            ("hashedEmail", hashing.hashed_email(message, gmail_dots=True, prehashed=prehashed)),
            ("hashedPhoneNumber", hashing.hashed_phone(message, prehashed=prehashed)),
        ]
        return [{key: value, "userIdentifierSource": "FIRST_PARTY"} for key, value in found if value]

    def _custom_variables(self, message: Mapping[str, Any]) -> list[dict[str, str]]:
        props = m.properties(message)
        variables = []
        for prop, variable in conv.event_mapping(self, "customVariables").items():
            value = m.text(props.get(prop))
            if value and variable.isdigit() and not hashing.is_pii_key(prop):
                name = f"customers/{self._customer_id()}/conversionCustomVariables/{variable}"
                variables.append({"conversionCustomVariable": name, "value": value})
        return variables

    def _consent(self, message: Mapping[str, Any]) -> dict[str, str]:
        # Consent Mode v2 signals a CMP plugin puts in context.consent (Google's own names).
        consent = m.context(message).get("consent")
        if not isinstance(consent, dict):
            return {}
        out = {}
        for source, target in (("ad_user_data", "adUserData"), ("ad_personalization", "adPersonalization")):
            value = str(consent.get(source, "")).upper()
            if value in ("GRANTED", "DENIED"):
                out[target] = value
        return out

    def build_authorized_request(
        self, route: str, records: Sequence[base.VendorRecord], access_token: str
    ) -> base.HttpRequest:
        """``POST /v26/customers/{id}:{method}`` with the records, ``partialFailure: true``."""
        url = f"{self.base_url}/{API_VERSION}/customers/{self._customer_id()}:{ROUTES[route]}"
        headers = {
            "Authorization": f"Bearer {access_token}",
            "developer-token": m.required_setting(self, "developerToken"),
        }
        login = m.text(m.setting(self, "loginCustomerId"))
        if login:
            headers["login-customer-id"] = login.replace("-", "")
        body: dict[str, Any] = {LIST_KEYS[route]: [r.payload for r in records], "partialFailure": True}
        if m.setting(self, "validateOnly", False):
            body["validateOnly"] = True
        return json_request(url, body, headers)

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """``partialFailureError`` in a 200 → the failed rows are dead-lettered (the others were
        accepted); RPC errors by ``error.status``: RESOURCE_EXHAUSTED retries after its delay."""
        body = m.body_json(response.body)
        body = body if isinstance(body, dict) else {}
        if 200 <= response.status < 300:
            failure = body.get("partialFailureError")
            if not isinstance(failure, dict) or not failure.get("code"):
                return base.Classification(base.Outcome.SUCCESS)
            failed = _failed_rows(failure, len(records))
            if not failed:  # an error not tied to a row: the whole batch failed
                return base.Classification(
                    base.Outcome.DROP, error=f"Google Ads: {failure.get('message', '')}"
                )
            return base.Classification(base.Outcome.PARTIAL, error="Google Ads rejected rows", failed=failed)
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        verdict = base.default_classification(response)
        if not error:
            return verdict
        text = f"Google Ads {error.get('status', response.status)}: {error.get('message', '')}"
        codes = _error_codes(error)
        if codes:
            text += f" [{', '.join(codes)}]"
        if error.get("status") == "RESOURCE_EXHAUSTED" or response.status == 429:
            delay = verdict.retry_after if verdict.retry_after is not None else _retry_delay(error)
            return base.Classification(base.Outcome.RETRY, error=text, retry_after=delay)
        return base.Classification(verdict.outcome, error=text, retry_after=verdict.retry_after)


def _details(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [d for d in error.get("details") or [] if isinstance(d, dict)]


def _error_codes(error: Mapping[str, Any]) -> list[str]:
    codes = []
    for detail in _details(error):
        for item in detail.get("errors") or []:
            code = item.get("errorCode") if isinstance(item, dict) else None
            if isinstance(code, dict):
                codes += [f"{k}.{v}" for k, v in code.items()]
    return codes


def _failed_rows(failure: Mapping[str, Any], count: int) -> dict[int, str]:
    """Row index → error, from each GoogleAdsError's ``location.fieldPathElements``."""
    failed: dict[int, str] = {}
    for detail in _details(failure):
        for item in detail.get("errors") or []:
            if not isinstance(item, dict):
                continue
            path = (item.get("location") or {}).get("fieldPathElements") or []
            index = next((p.get("index") for p in path if isinstance(p, dict) and "index" in p), None)
            if isinstance(index, int) and 0 <= index < count:
                codes = ", ".join(f"{k}.{v}" for k, v in (item.get("errorCode") or {}).items())
                message = f"{codes}: {item.get('message', '')}" if codes else str(item.get("message", ""))
                failed[index] = f"{failed[index]}; {message}" if index in failed else message
    return failed


def _retry_delay(error: Mapping[str, Any]) -> float | None:
    """QuotaErrorDetails / RetryInfo ``retryDelay`` ("30s")."""
    for detail in _details(error):
        candidates = [detail.get("retryDelay")]
        candidates += [(e.get("details") or {}).get("quotaErrorDetails", {}).get("retryDelay") for e in
                       detail.get("errors") or [] if isinstance(e, dict)]  # fmt: skip
        for value in candidates:
            match = RETRY_DELAY.match(str(value or ""))
            if match:
                return float(match.group(1))
    return None

"""What the two Meta vendors (Facebook Pixel via the Conversions API, Facebook App Events) share:
the Graph API version, its error codes, and user data normalized and hashed the way Meta wants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

GRAPH_VERSION = "v25.0"
GRAPH_URL = "https://graph.facebook.com"
THROTTLED = frozenset({4, 17, 32, 613, 80004})  # app/user/page/custom/ads-api rate limits
TRANSIENT = frozenset({1, 2})  # unknown error, service temporarily unavailable
BAD_TOKEN = 190
INVALID_PARAMETER = 100
THROTTLE_DEFAULT_SECONDS = 60.0


def classify_graph(response: base.HttpResponse, records: Sequence[base.VendorRecord]) -> base.Classification:
    """Graph errors by ``error.code``: throttling and transient codes retry; an invalid parameter in a
    multi-event request splits it (so halving isolates the bad event and the rest get through);
    a bad token or other errors drop. HTTP status decides when the body is not a Graph error."""
    body = m.body_json(response.body)
    error = body.get("error") if isinstance(body, dict) else None
    if 200 <= response.status < 300 or not isinstance(error, dict):
        return base.default_classification(response)
    code = error.get("code")
    text = f"Graph error {code}/{error.get('error_subcode', '-')}: {error.get('message', '')}"
    if error.get("error_user_msg"):
        text += f" ({error['error_user_msg']})"
    if code in THROTTLED:
        return base.Classification(
            base.Outcome.RETRY, error=text, retry_after=_regain_seconds(response.headers)
        )
    if code in TRANSIENT or error.get("is_transient") is True:
        return base.Classification(base.Outcome.RETRY, error=text)
    if code == INVALID_PARAMETER and len(records) > 1:
        return base.Classification(base.Outcome.SPLIT, error=text)
    if response.status >= 500 and code != BAD_TOKEN:
        return base.Classification(base.Outcome.RETRY, error=text)
    return base.Classification(base.Outcome.DROP, error=text)


def _regain_seconds(headers: Mapping[str, str]) -> float:
    # X-Business-Use-Case-Usage: {"<id>": [{"estimated_time_to_regain_access": minutes, ...}]}
    usage = m.body_json(headers.get("x-business-use-case-usage", "").encode())
    minutes = [
        entry.get("estimated_time_to_regain_access", 0)
        for entries in (usage.values() if isinstance(usage, dict) else [])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
    ]
    longest = max((float(x) for x in minutes if isinstance(x, int | float)), default=0.0)
    return longest * 60 if longest > 0 else THROTTLE_DEFAULT_SECONDS


def hashed_user_data(message: Mapping[str, Any]) -> dict[str, str]:
    """Meta's customer-information parameters, normalized then SHA-256 hashed."""
    traits = m.user_traits(message)
    address = traits.get("address") if isinstance(traits.get("address"), dict) else {}
    raw: dict[str, Any] = {
        "em": (m.email(message) or "").strip().lower(),
        "ph": re.sub(r"\D", "", str(traits.get("phone") or "")),
        "fn": str(traits.get("firstName") or "").strip().lower(),
        "ln": str(traits.get("lastName") or "").strip().lower(),
        "ge": str(traits.get("gender") or "").strip().lower()[:1],
        "db": re.sub(r"\D", "", str(traits.get("birthday") or ""))[:8],
        "ct": re.sub(r"[^a-z]", "", str(address.get("city") or "").lower()),
        "st": re.sub(r"[^a-z]", "", str(address.get("state") or "").lower()),
        "zp": str(address.get("postalCode") or address.get("postal_code") or "").strip().lower(),
        "country": str(address.get("country") or "").strip().lower()[:2],
    }
    return {key: m.sha256_hex(value) for key, value in raw.items() if value}


def external_id(message: Mapping[str, Any]) -> str | None:
    """Hashed userId (or anonymousId): lets Meta match events of one person without PII."""
    who = m.user_id(message) or m.anonymous_id(message)
    return m.sha256_hex(who) if who else None

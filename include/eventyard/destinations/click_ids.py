"""Ad click identifiers of a message, for server-side conversion APIs.

The browser plugin (issue 13) reads them from the landing page's URL (or its first-party cookie)
and puts them in ``context.clickIds`` = ``{"gclid": ..., "msclkid": ...}``; events from sources
without the plugin still carry the page they were sent from, so the same parameters are parsed
from ``context.page.url`` / ``context.page.search`` (and a page call's ``properties.url`` /
``search``) as a fallback. What ``context.clickIds`` holds wins over the URL: the plugin keeps the
landing page's id for the whole attribution window, the current URL only has it on landing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# URL parameter of each ad platform's click id (names as the platforms append them).
CLICK_ID_PARAMS: tuple[str, ...] = (
    "gclid",  # Google Ads
    "gbraid",  # Google Ads, iOS app campaigns (web to app)
    "wbraid",  # Google Ads, iOS web campaigns
    "dclid",  # Campaign Manager 360 / Display & Video 360
    "msclkid",  # Microsoft Advertising
    "li_fat_id",  # LinkedIn first-party ads tracking UUID
    "twclid",  # X (Twitter) Ads
    "ttclid",  # TikTok
    "fbclid",  # Meta
    "tblci",  # Taboola
    "ob_click_id",  # Outbrain
    "crto_mapped_user_id",  # Criteo's GUM id (a cookie, never in a URL; only via clickIds)
)
MAX_LENGTH = 512  # longer values are not click ids but someone's mistake


def click_ids(message: Mapping[str, Any]) -> dict[str, str]:
    """Every known click id of ``message``: ``context.clickIds`` first, then the page URL."""
    found: dict[str, str] = {}
    raw_context = message.get("context")
    context: dict[str, Any] = raw_context if isinstance(raw_context, dict) else {}
    explicit = context.get("clickIds")
    if isinstance(explicit, dict):
        for name in CLICK_ID_PARAMS:
            value = _clean(explicit.get(name))
            if value:
                found[name] = value
    for query in _queries(message, context):
        for name, value in parse_qsl(query, keep_blank_values=False):
            cleaned = _clean(value)
            if name in CLICK_ID_PARAMS and cleaned and name not in found:
                found[name] = cleaned
    return found


def click_id(message: Mapping[str, Any], name: str) -> str | None:
    """One click id of ``message`` (see ``click_ids``), or None."""
    return click_ids(message).get(name)


def _queries(message: Mapping[str, Any], context: Mapping[str, Any]) -> list[str]:
    raw_page = context.get("page")
    page: dict[str, Any] = raw_page if isinstance(raw_page, dict) else {}
    sources: list[Any] = [page.get("search"), page.get("url")]
    if message.get("type") == "page" and isinstance(message.get("properties"), dict):
        sources += [message["properties"].get("search"), message["properties"].get("url")]
    queries: list[str] = []
    for source in sources:
        if not isinstance(source, str) or not source:
            continue
        if source.startswith("?"):
            queries.append(source[1:])
        elif "://" in source:
            parts = urlsplit(source)
            queries += [parts.query, parts.fragment.partition("?")[2]]  # SPA routes: #/x?gclid=
    return [q for q in queries if q]


def _clean(value: Any) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text if text and len(text) <= MAX_LENGTH else None

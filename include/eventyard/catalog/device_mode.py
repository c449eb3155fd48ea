"""How a client-capable destination runs in the browser ("device mode"): the entry's ``deviceMode``.

analytics.js loads one plugin per enabled device-mode integration (the settings response's
``remotePlugins``). The catalog says which plugin that is (our own build, or a maintained
Segment browser destination), which consent category gates it, which connection modes an
integration may choose, and which of its settings are public: only those may reach the page.

    "deviceMode": {"plugin": "hotjar", "source": "eventyard", "consentCategory": "Analytics",
                   "modes": ["device"], "publicFields": ["siteID"], "tagUrl": "https://..."}
"""

from __future__ import annotations

import re
from typing import Any

from eventyard.catalog.models import CONNECTION_MODE_FIELD, DeviceMode, Field

# cloud: our server delivers (default for API destinations); device: the browser plugin does,
# and the server skips what the page handled; hybrid: both, sharing messageId as the event id
# so the vendor deduplicates (only where the vendor documents that).
MODES = ("cloud", "device", "hybrid")
# Where the plugin comes from: our own build (browser/plugins/) or Segment's published package.
SOURCES = frozenset({"eventyard", "@segment/browser-destinations"})
# Segment's consent categories (context.consent.categoryPreferences keys).
CONSENT_CATEGORIES = frozenset({"Advertising", "Analytics", "Functional", "Marketing", "Personalization"})
# Options every integration honours in the browser too, so they always reach the plugin.
ALWAYS_PUBLIC = ("eventAllowList", "eventDenyList", "callTypes")

_PLUGIN_RE = re.compile(r"^[a-z][a-z0-9-]*$")
__all__ = ["ALWAYS_PUBLIC", "CONNECTION_MODE_FIELD", "CONSENT_CATEGORIES", "DeviceMode", "parse_device_mode"]

_KEYS = {"plugin", "source", "consentCategory", "modes", "publicFields", "tagUrl"}


def parse_device_mode(
    raw: Any, *, kind: str, client: bool, fields: tuple[Field, ...], errors: list[str]
) -> DeviceMode | None:
    """The entry's ``deviceMode`` (None when absent), appending every problem to ``errors``."""
    if raw is None:
        if kind == "browser":
            errors.append("a browser-only destination needs a deviceMode")
        return None
    if not isinstance(raw, dict):
        errors.append("deviceMode must be an object")
        return None
    before = len(errors)
    if unknown := sorted(set(raw) - _KEYS):
        errors.append(f"deviceMode: unknown keys {unknown} (allowed: {sorted(_KEYS)})")
    if missing := sorted(_KEYS - set(raw)):
        errors.append(f"deviceMode: missing keys {missing}")
    if not client:
        errors.append("deviceMode needs client support")
    plugin, source = raw.get("plugin"), raw.get("source")
    category, tag_url = raw.get("consentCategory"), raw.get("tagUrl")
    if not isinstance(plugin, str) or not _PLUGIN_RE.match(plugin):
        errors.append(f"deviceMode: plugin {plugin!r} must be a lowercase slug (a-z, 0-9, -)")
    if source not in SOURCES:
        errors.append(f"deviceMode: source {source!r} is not one of {sorted(SOURCES)}")
    if category not in CONSENT_CATEGORIES:
        errors.append(f"deviceMode: consentCategory {category!r} is not one of {sorted(CONSENT_CATEGORIES)}")
    if not isinstance(tag_url, str) or not tag_url.startswith(("https://", "{")):
        errors.append("deviceMode: tagUrl must be the vendor tag's https:// URL or a {field} it is read from")
    modes = _modes(raw.get("modes"), kind, errors)
    public = _public_fields(raw.get("publicFields"), fields, errors)
    for name in re.findall(r"{(\w+)}", tag_url if isinstance(tag_url, str) else ""):
        if name not in public:
            errors.append(f"deviceMode: tagUrl reads {name!r}, which is not a public field")
    if len(errors) > before:
        return None
    return DeviceMode(str(plugin), str(source), str(category), modes, public, str(tag_url))


def _modes(raw: Any, kind: str, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or any(m not in MODES for m in raw) or len(set(raw)) < len(raw):
        errors.append(f"deviceMode: modes must be distinct values of {list(MODES)}")
        return ()
    if kind == "browser" and raw != ["device"]:
        errors.append('deviceMode: a browser-only destination has exactly the mode ["device"]')
    if kind != "browser" and raw[0] != "cloud":
        errors.append('deviceMode: a delivered destination lists "cloud" first (its default)')
    return tuple(raw)


def _public_fields(raw: Any, fields: tuple[Field, ...], errors: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        errors.append("deviceMode: publicFields must be a list of propertyNames")
        return ()
    by_name = {f.property_name: f for f in fields}
    for name in raw:
        field = by_name.get(name)
        if field is None:
            errors.append(f"deviceMode: public field {name!r} is not a field of this destination")
        elif field.secret:
            errors.append(f"deviceMode: field {name!r} is secret and can never reach the browser")
    return tuple(raw)

"""Which messages an integration receives: the message's ``integrations`` object, the
integration's event allow/deny lists and call-type toggles, the vendor's own call types, and
whether the page already delivered the message through the integration's device-mode plugin.

Every function returns ``None`` when the message goes through, or the reason it is skipped
(skips are counted, never dead-lettered).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def _names(values: Any) -> frozenset[str]:
    """Event names from a config list: plain strings or RudderStack-style ``{"eventName": ...}``."""
    if not isinstance(values, Iterable) or isinstance(values, str | bytes):
        return frozenset()
    names: set[str] = set()
    for value in values:
        if isinstance(value, str) and value.strip():
            names.add(value.strip())
        elif isinstance(value, Mapping):
            name = value.get("eventName") or value.get("event") or value.get("name")
            if isinstance(name, str) and name.strip():
                names.add(name.strip())
    return frozenset(names)


@dataclass(frozen=True)
class MessageFilter:
    """The filters of one integration, prepared once per delivery cycle."""

    destination_keys: tuple[str, ...]  # catalog name and code, matched case-sensitively
    vendor_call_types: frozenset[str]
    enabled_call_types: frozenset[str] | None
    allow: frozenset[str]
    deny: frozenset[str]
    integration_id: str | None = None

    @classmethod
    def build(
        cls,
        *,
        names: Iterable[str],
        vendor_call_types: Collection[str],
        config: Mapping[str, Any],
        integration_id: str | None = None,
    ) -> MessageFilter:
        """Read ``eventAllowList``, ``eventDenyList`` and ``callTypes`` from an integration config."""
        call_types = config.get("callTypes")
        enabled = None
        if isinstance(call_types, list | tuple):
            enabled = frozenset(str(c) for c in call_types)
        return cls(
            destination_keys=tuple(dict.fromkeys(n for n in names if n)),
            vendor_call_types=frozenset(vendor_call_types),
            enabled_call_types=enabled,
            allow=_names(config.get("eventAllowList")),
            deny=_names(config.get("eventDenyList")),
            integration_id=integration_id,
        )

    def skip_reason(self, message: Mapping[str, Any]) -> str | None:
        """Why this message is not sent to the integration, or None when it is."""
        metadata = message.get("_metadata")
        if metadata and self.integration_id and handled_in_browser(metadata, self.integration_id):
            return "delivered in the browser by the device-mode plugin (_metadata.bundledIds)"
        integrations = message.get("integrations")
        if integrations:  # usually absent or {}: skip the lookups
            reason = integrations_object_reason(integrations, self.destination_keys)
            if reason:
                return reason
        call_type = message.get("type")
        if self.enabled_call_types is not None and call_type not in self.enabled_call_types:
            return f"call type {call_type!r} is turned off for this integration"
        if call_type not in self.vendor_call_types:
            return f"the vendor does not take {call_type!r} calls"
        if call_type == "track":
            event = message.get("event")
            if self.allow and event not in self.allow:
                return f"event {event!r} is not on the allow list"
            if event in self.deny:
                return f"event {event!r} is on the deny list"
        return None


def integrations_object_reason(integrations: Any, keys: Iterable[str]) -> str | None:
    """Segment's rule: a key naming the destination wins (false = off; true or an options object =
    on); otherwise ``All`` decides (default on)."""
    if not isinstance(integrations, Mapping):
        return None
    for key in keys:
        if key in integrations:
            value = integrations[key]
            if value is False:
                return f"integrations.{key} is false"
            return None
    if integrations.get("All", True) is False:
        return "integrations.All is false"
    return None


def handled_in_browser(metadata: Any, integration_id: str) -> bool:
    """Whether analytics.js marked the message as delivered by this integration's browser plugin.

    The collector's settings list device-mode integrations in ``maybeBundledConfigIds``, and
    analytics.js copies their ids into each message's ``_metadata.bundledIds`` (Segment's
    mechanism for not delivering device-mode events twice).
    """
    if not isinstance(metadata, Mapping):
        return False
    bundled = metadata.get("bundledIds")
    return isinstance(bundled, list | tuple) and integration_id in bundled

"""What every conversion-API vendor reads from a message the same way: the event → conversion
mapping configured in Houston, the conversion value and currency, the order id and the
deduplication key shared with the browser pixel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from eventyard.destinations.base import Classification, Integration, InvalidMessage, Outcome, SkipMessage
from eventyard.destinations.vendors import _message as m

CURRENCY = re.compile(r"^[A-Z]{3}$")
VALUE_KEYS = ("revenue", "value", "total")  # Segment's ecommerce spec names, in that order


def event_mapping(integration: Integration, name: str) -> dict[str, str]:
    """A mapping setting: a map ``{event: vendor value}`` (Houston's ``map`` field type), or a
    list of ``{"from": event, "to": value}`` pairs as RudderStack-style configs have it."""
    raw = m.setting(integration, name)
    pairs: dict[str, str] = {}
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = [(p.get("from"), p.get("to")) for p in raw if isinstance(p, dict)]
    else:
        items = []
    for event, value in items:
        if m.text(event) and m.text(value):
            pairs[str(event).strip()] = str(value).strip()
    return pairs


def mapped_event(integration: Integration, message: Mapping[str, Any], setting: str) -> str:
    """The vendor value ``setting`` maps the track event to; unmapped events are skipped (an ad
    platform only wants the events the advertiser chose as conversions)."""
    event = m.text(message.get("event"))
    if not event:
        raise InvalidMessage("a track call needs an event name")
    value = event_mapping(integration, setting).get(event)
    if value is None:
        raise SkipMessage(f"event {event!r} is not mapped to a conversion in {setting!r}")
    return value


def mapped_numeric_id(integration: Integration, message: Mapping[str, Any], setting: str, what: str) -> str:
    """``mapped_event`` for platforms whose conversion ids are numbers (Floodlight activities,
    Optimizely event entities): anything else is refused here rather than by the vendor."""
    value = mapped_event(integration, message, setting)
    if not value.isdigit():
        raise InvalidMessage(f"{what} must be numeric, got {value!r}")
    return value


def conversion_value(message: Mapping[str, Any]) -> float | None:
    """The conversion's value: ``properties.revenue``, else ``value``, else ``total``."""
    props = m.properties(message)
    for key in VALUE_KEYS:
        value = props.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                continue
            if math.isfinite(number):
                return number
    return None


def currency(message: Mapping[str, Any], default: str | None = None) -> str | None:
    """``properties.currency`` as an upper-case ISO 4217 code; an invalid one is an error."""
    raw = m.text(m.properties(message).get("currency"))
    if raw is None:
        return default
    code = raw.upper()
    if not CURRENCY.match(code):
        raise InvalidMessage(f"currency {raw!r} is not an ISO 4217 code")
    return code


def value_and_currency(message: Mapping[str, Any]) -> tuple[float, str] | None:
    """(value, currency) of a conversion that has a value; the currency defaults to USD."""
    value = conversion_value(message)
    return None if value is None else (value, currency(message, "USD") or "USD")


def order_id(message: Mapping[str, Any]) -> str | None:
    """``properties.order_id`` (or ``orderId``), as text."""
    props = m.properties(message)
    return m.text(props.get("order_id")) or m.text(props.get("orderId"))


def dedupe_key(message: Mapping[str, Any]) -> str:
    """The key shared with the browser pixel for deduplication: the order id when there is one
    (the pixel's transaction id), else the messageId (the plugin sends the same id as event id)."""
    return order_id(message) or m.message_id(message)


def products(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``properties.products`` objects, or the single product described by the properties."""
    props = m.properties(message)
    listed = [p for p in props.get("products") or [] if isinstance(p, dict)]
    if listed:
        return listed
    if props.get("product_id") or props.get("sku"):
        return [props]
    return []


def product_id(product: Mapping[str, Any]) -> str | None:
    """A product's id: ``product_id``, else ``sku``, else ``id``."""
    return m.text(product.get("product_id")) or m.text(product.get("sku")) or m.text(product.get("id"))


def quantity(product: Mapping[str, Any]) -> int:
    """A product's quantity (at least 1)."""
    value = product.get("quantity")
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 1 else 1


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (for reading vendor bodies)."""
    return value if isinstance(value, dict) else {}


def per_row_verdict(vendor: str, dead: dict[int, str], transient: dict[int, str]) -> Classification:
    """The verdict of a 2xx answer listing each row's fate: rows at fault (``dead``) are
    dead-lettered and the transiently failed ones resent at once (next time they are all that is
    left); when only transient failures remain they are retried with backoff."""
    if dead:
        return Classification(
            Outcome.PARTIAL, error=f"{vendor} rejected rows", failed=dead, resend=tuple(transient)
        )
    if transient:
        return Classification(
            Outcome.PARTIAL, error=f"{vendor} failed rows", failed=transient, retry_failed=True
        )
    return Classification(Outcome.SUCCESS)

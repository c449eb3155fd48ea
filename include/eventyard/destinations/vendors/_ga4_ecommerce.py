"""Segment's e-commerce spec in GA4's terms: recommended event names and item parameters.

Segment's spec event names match case-insensitively (``order completed`` is ``Order
Completed``, as Segment's own destinations treat them). Items keep every parameter GA4 documents
for them, and numeric strings (``"19.99"``) become numbers: GA4 ignores a price or quantity
sent as text without a word.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_RECOMMENDED = {
    "Products Searched": "search",
    "Product List Viewed": "view_item_list",
    "Product Clicked": "select_item",
    "Product Viewed": "view_item",
    "Product Added": "add_to_cart",
    "Product Removed": "remove_from_cart",
    "Cart Viewed": "view_cart",
    "Checkout Started": "begin_checkout",
    "Payment Info Entered": "add_payment_info",
    "Order Completed": "purchase",
    "Order Refunded": "refund",
    "Promotion Viewed": "view_promotion",
    "Promotion Clicked": "select_promotion",
    "Signed Up": "sign_up",
    "Logged In": "login",
}
ECOMMERCE = {" ".join(name.lower().split()): ga4 for name, ga4 in _RECOMMENDED.items()}
SINGLE_ITEM_EVENTS = frozenset({"view_item", "select_item", "add_to_cart", "remove_from_cart"})
MAX_ITEMS = 200

# GA4 item parameter <- the product keys it is read from (Segment's name first, GA4's own too).
_TEXT = {
    "item_id": ("product_id", "sku", "id", "item_id"),
    "item_name": ("name", "item_name"),
    "affiliation": ("affiliation",),
    "coupon": ("coupon",),
    "item_brand": ("brand", "item_brand"),
    "item_category": ("category", "item_category"),
    **{f"item_category{n}": (f"category{n}", f"item_category{n}") for n in range(2, 6)},
    "item_list_id": ("list_id", "item_list_id"),
    "item_list_name": ("list_name", "item_list_name"),
    "item_variant": ("variant", "item_variant"),
    "location_id": ("location_id",),
    "promotion_id": ("promotion_id",),
    "promotion_name": ("promotion_name",),
    "creative_name": ("creative", "creative_name"),
    "creative_slot": ("creative_slot",),
}
_NUMBERS = {"price": ("price",), "discount": ("discount",)}
_INTEGERS = {"quantity": ("quantity",), "index": ("position", "index")}
_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def recommended_event(event: str) -> str | None:
    """GA4's recommended event for a Segment spec event name, whatever its case and spacing."""
    return ECOMMERCE.get(" ".join(event.lower().split()))


def number(value: Any) -> int | float | None:
    """A JSON number, or a numeric string as one; anything else (booleans too) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMERIC.match(value.strip()):
        text = value.strip()
        parsed = float(text)
        if not math.isfinite(parsed):
            return None
        return int(text) if text.lstrip("+-").isdigit() else parsed
    return None


def integer(value: Any) -> int | None:
    """A whole number (``2``, ``2.0``, ``"2"``), else None."""
    parsed = number(value)
    if parsed is None or (isinstance(parsed, float) and not parsed.is_integer()):
        return None
    return int(parsed)


def _first(product: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((product[k] for k in keys if product.get(k) not in (None, "")), None)


def item(product: Mapping[str, Any]) -> dict[str, Any]:
    """One GA4 item from a Segment product: every documented parameter that has a value."""
    result: dict[str, Any] = {}
    for name, keys in _TEXT.items():
        value = _first(product, keys)
        if value is not None and not isinstance(value, dict | list):
            result[name] = value if isinstance(value, str) else str(value)
    for name, keys in _NUMBERS.items():
        value = number(_first(product, keys))
        if value is not None:
            result[name] = value
    for name, keys in _INTEGERS.items():
        value = integer(_first(product, keys))
        if value is not None:
            result[name] = value
    return result


def items(products: list[Any]) -> list[dict[str, Any]]:
    """GA4 items of a Segment ``products`` array (at most 200)."""
    return [item(p) for p in products if isinstance(p, Mapping)][:MAX_ITEMS]

"""Sample Segment messages of every call type, as the collector normalizes and lands them, and
the fixtures every vendor module shares: its ``SPEC`` becomes a contract, a receiver serving it
and the integration pointed at that receiver."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventyard.destinations.base import Integration
from tests.destinations.vendors import harness

# Recent, so vendors with an age limit (Meta: 7 days) accept it.
NOW = datetime.now(UTC).replace(microsecond=250_000)
TIMESTAMP = NOW - timedelta(hours=1)

CONTEXT: dict[str, Any] = {
    "ip": "203.0.113.7",
    "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
    "locale": "en-US",
    "timezone": "Europe/Paris",
    "library": {"name": "analytics.js", "version": "4.1.0"},
    "page": {
        "url": "https://shop.example.com/checkout",
        "title": "Checkout",
        "referrer": "https://www.example.org/",
        "path": "/checkout",
    },
    "traits": {"email": "Jo@Example.com", "plan": "pro", "firstName": "Jo", "lastName": "Doe"},
    "app": {"name": "Shop", "version": "3.2.1", "build": "321", "namespace": "com.example.shop"},
    "os": {"name": "iOS", "version": "17.0"},
    "device": {
        "advertisingId": "38400000-8cf0-11bd-b23e-10b96e40000d",
        "adTrackingEnabled": True,
        "model": "iPhone15,2",
        "manufacturer": "Apple",
        "type": "ios",
    },
    "network": {"carrier": "Orange"},
    "screen": {"width": 1179, "height": 2556, "density": 3},
    "campaign": {"source": "newsletter", "medium": "email", "name": "spring"},
}


def _base(kind: str, number: int) -> dict[str, Any]:
    return {
        "type": kind,
        "messageId": f"m-{kind}-{number}",
        "userId": "u_123",
        "anonymousId": "a_9f1b2c",
        "timestamp": TIMESTAMP.isoformat().replace("+00:00", "Z"),
        "originalTimestamp": TIMESTAMP.isoformat().replace("+00:00", "Z"),
        "receivedAt": NOW.isoformat().replace("+00:00", "Z"),
        "sentAt": NOW.isoformat().replace("+00:00", "Z"),
        "context": copy.deepcopy(CONTEXT),
        "integrations": {},
    }


def make(kind: str, number: int = 1, **fields: Any) -> dict[str, Any]:
    """A message of ``kind`` with typical content; ``fields`` override top-level keys."""
    message = _base(kind, number)
    if kind == "track":
        message["event"] = "Order Completed"
        message["properties"] = {
            "order_id": "o_55",
            "revenue": 42.5,
            "currency": "USD",
            "products": [{"product_id": "sku_1", "name": "Tee", "price": 42.5, "quantity": 1}],
            "shipping": {"method": "express", "cost": 4},
        }
    elif kind == "identify":
        message["traits"] = {
            "email": "jo@example.com",
            "firstName": "Jo",
            "lastName": "Doe",
            "plan": "pro",
            "createdAt": "2025-01-02T03:04:05Z",
            "address": {"city": "Paris", "country": "FR"},
        }
    elif kind == "page":
        message["name"] = "Checkout"
        message["category"] = "Shop"
        message["properties"] = {
            "url": "https://shop.example.com/checkout",
            "title": "Checkout",
            "referrer": "https://www.example.org/",
            "path": "/checkout",
        }
    elif kind == "screen":
        message["name"] = "Cart"
        message["properties"] = {"items": 2}
    elif kind == "group":
        message["groupId"] = "g_77"
        message["traits"] = {"name": "Acme Inc", "plan": "enterprise", "employees": 120, "website": "acme.io"}
    elif kind == "alias":
        message["previousId"] = "a_9f1b2c"
        message.pop("anonymousId")
    message.update(fields)
    return message


@pytest.fixture
def messages() -> dict[str, dict[str, Any]]:
    """One message of each call type, keyed by type."""
    return {kind: make(kind) for kind in ("track", "identify", "page", "screen", "group", "alias")}


def _spec(request: pytest.FixtureRequest) -> harness.VendorSpec:
    spec = getattr(request.module, "SPEC", None)
    assert isinstance(spec, harness.VendorSpec), (
        f"{request.module.__name__} declares no SPEC = VendorSpec(...)"
    )
    return spec


@pytest.fixture
def contract(request: pytest.FixtureRequest) -> Any:
    """The module's vendor stand-in (a fresh one per test when it keeps state)."""
    return _spec(request).new_contract()


@pytest.fixture
def receiver(contract: Any) -> Iterator[harness.Receiver]:
    """A contract-checking receiver on loopback, serving the module's stand-in."""
    with harness.running(contract) as receiver:
        yield receiver


@pytest.fixture
def vendor(request: pytest.FixtureRequest, receiver: harness.Receiver) -> Integration:
    """The module's integration with its SPEC's settings, sending to the receiver."""
    return _spec(request).pointed_at(receiver)

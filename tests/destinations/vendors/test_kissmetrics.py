"""KISSmetrics against a receiver enforcing its query-string Tracking API."""

from __future__ import annotations

import pytest

from eventyard.destinations.base import InvalidMessage, Outcome
from eventyard.destinations.vendors.kissmetrics import Kissmetrics
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import TIMESTAMP, make

API_KEY = "km-key-1f2e3d"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"


def kissmetrics_contract(request: harness.Received) -> harness.Reply:
    """GET beacons; KISSmetrics answers a GIF. The receiver rejects what KM would silently lose."""
    harness.check(request.method == "GET" and request.path in {"/e", "/s", "/a"}, 404, "")
    harness.check(request.arg("_k") == API_KEY, 400, "bad key")
    harness.check(bool(request.arg("_p")), 400, "missing _p")
    if request.path in {"/e", "/a"}:
        harness.check(bool(request.arg("_n")), 400, "missing _n")
    if request.path != "/a":
        harness.check(
            (request.arg("_t") or "").isdigit() and request.arg("_d") == "1", 400, "_t must be unix seconds"
        )
    return harness.Reply(200, GIF, {"Content-Type": "image/gif"})


SPEC = harness.VendorSpec(Kissmetrics, {"apiKey": API_KEY}, {"prefixProperties": True}, kissmetrics_contract)


def test_every_call_type_becomes_a_beacon(vendor: Kissmetrics, receiver: harness.Receiver, messages) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success"] * 7  # six calls + one /s for the order's product
    by_path = {(r.path, r.arg("_n")): r for r in receiver.accepted}
    track = by_path[("/e", "Order Completed")]
    assert track.arg("_t") == str(int(TIMESTAMP.timestamp()))
    assert track.arg("Order Completed - shipping_method") == "express"
    assert track.arg("Billing Amount") == "42.5"
    assert ("/e", "Viewed Shop Checkout Page") in by_path and ("/e", "Viewed Cart Screen") in by_path
    identify = next(r for r in receiver.accepted if r.path == "/s" and r.arg("email"))
    assert identify.arg("_p") == "u_123" and identify.arg("address_city") == "Paris"
    group = next(r for r in receiver.accepted if r.path == "/s" and r.arg("Group - id"))
    assert group.arg("Group - name") == "Acme Inc"
    product = next(r for r in receiver.accepted if r.path == "/s" and r.arg("Order Completed - product_id"))
    assert product.arg("Order Completed - price") == "42.5" and product.arg("_p") == "u_123"
    assert track.arg("Order Completed - products") is None
    alias = by_path[("/a", "u_123")]
    assert alias.arg("_p") == "a_9f1b2c"


def test_only_network_errors_and_5xx_retry(vendor: Kissmetrics, receiver: harness.Receiver) -> None:
    records = vendor.transform(make("track"))[:1]
    assert (
        harness.fault(vendor, receiver, harness.Reply(502, "bad gateway"), records).outcome is Outcome.RETRY
    )
    throttled = harness.fault(vendor, receiver, harness.Reply(429, "", {"Retry-After": "3"}), records)
    assert throttled.outcome is Outcome.RETRY and throttled.retry_after == 3
    assert harness.fault(vendor, receiver, harness.Reply(400, "bad key"), records).outcome is Outcome.DROP
    with pytest.raises(InvalidMessage, match="previousId"):
        vendor.transform(make("alias", previousId=None))

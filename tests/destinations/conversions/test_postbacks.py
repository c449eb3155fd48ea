"""Taboola and Outbrain click-id postbacks against receivers enforcing their GET contracts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from eventyard.destinations.base import Integration
from eventyard.destinations.vendors.outbrain import Outbrain
from eventyard.destinations.vendors.taboola import Taboola
from tests.destinations.conversions.helpers import conversion
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, running


class Postbacks:
    """GET only, the click id and a known conversion name required, a numeric value with an ISO
    currency; the vendor's own parameter names. Counts conversions by click id and order id."""

    def __init__(self, path: str, click: str, names: set[str], value: str) -> None:
        self.path, self.click, self.names, self.value = path, click, names, value
        self.seen: list[dict[str, str]] = []

    def __call__(self, request: Received) -> Reply:
        check(request.method == "GET" and request.path == self.path, 404, "Not Found")
        params = {k: v[-1] for k, v in request.query.items()}
        check(bool(params.get(self.click)), 400, f"missing {self.click}")
        check(params.get("name") in self.names, 400, f"unknown conversion name {params.get('name')!r}")
        if self.value in params:
            float(params[self.value])
            check(len(params.get("currency", "")) == 3, 400, "currency must be ISO 4217")
        self.seen.append(params)
        return Reply(200, "")


CASES: dict[str, tuple[type[Integration], dict[str, Any], Postbacks]] = {
    "taboola": (Taboola, {"eventNameMapping": {"Order Completed": "purchase"}},
                Postbacks("/actions-handler/log/3/s2s-action", "click-id", {"purchase"}, "revenue")),
    "outbrain": (Outbrain, {"conversionNameMapping": {"Order Completed": "Purchase"}},
                 Postbacks("/unifiedPixel", "ob_click_id", {"Purchase"}, "orderValue")),
}  # fmt: skip
CLICK = {"taboola": "tblci", "outbrain": "ob_click_id"}


@pytest.fixture(params=sorted(CASES))
def postback(request: pytest.FixtureRequest) -> Iterator[tuple[str, Integration, Postbacks, VendorReceiver]]:
    cls, config, contract = CASES[request.param]
    contract.seen.clear()
    with running(contract) as receiver:
        integration = cls({"marketerId": "00f1"}, config)
        integration.base_url = receiver.url  # type: ignore[attr-defined]
        yield request.param, integration, contract, receiver


def test_one_get_per_conversion_keyed_by_click_id(postback) -> None:
    code, integration, contract, _ = postback
    landing = "https://shop.example.com/?utm_source=x&" + f"{CLICK[code]}=from-url-2"
    messages = [
        conversion(number=1, click_ids={CLICK[code]: "clk-1"}),
        conversion(number=2),
        conversion(number=3),
        conversion("page", 4),
        conversion(number=5, event="Signed Up"),
    ]
    messages[1]["context"]["page"]["url"] = landing
    messages[2]["context"]["page"]["url"] = "https://shop.example.com/"  # no click: not from this platform
    messages[4]["context"]["clickIds"] = {CLICK[code]: "clk-5"}
    run = run_engine(integration, messages)
    statuses = run.statuses()
    assert (statuses["m-track-1"], statuses["m-track-2"], statuses["m-track-3"]) == (
        "delivered",
        "delivered",
        "skipped",
    )
    assert statuses["m-page-4"] == "skipped" and "click id" in run.skipped["m-track-3"]
    assert statuses["m-track-5"] == "dead" and "unknown conversion name" in run.results["m-track-5"].error
    clicks = sorted(p[contract.click] for p in contract.seen)
    assert clicks == ["clk-1", "from-url-2"] and run.stats.requests == 3
    first = next(p for p in contract.seen if p[contract.click] == "clk-1")
    assert first[contract.value] == "42.5" and first["currency"] == "USD"
    assert first.get("orderid", first.get("orderId")) == "o_55"


def test_server_errors_and_throttling_are_retried(postback) -> None:
    code, integration, contract, receiver = postback
    receiver.faults += [
        Reply(503, "Service Unavailable"),
        Reply(429, "Too Many Requests", {"Retry-After": "0"}),
    ]
    run = run_engine(integration, [conversion(number=n, click_ids={CLICK[code]: f"c{n}"}) for n in range(2)])
    assert (
        set(run.statuses().values()) == {"delivered"}
        and run.stats.retried_records == 2
        and len(contract.seen) == 2
    )

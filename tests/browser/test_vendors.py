"""Each client-side vendor in headless Chromium: the standard snippet pointed at the collector
loads the vendor's plugin, the plugin loads the vendor's tag (answered by a recording stub), and
page / identify / track reach the tag's documented API with the mapped fields."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from eventyard.catalog import load_catalog
from tests.browser.cases import CASES, JOURNEY, Case
from tests.browser.cases_dual import DUAL_CASES
from tests.browser.harness import Yard, shop_page


def test_every_client_only_destination_has_a_browser_case() -> None:
    client_only = {d.code for d in load_catalog().all() if d.support.families() == ["client"]}
    client_only.add("google_adwords")  # client + mobile: its client column runs in the browser
    assert client_only <= {case.code for case in CASES}
    assert len(client_only) == 25


def test_every_device_mode_entry_has_a_browser_case() -> None:
    with_device_mode = {d.code for d in load_catalog().all() if d.device_mode is not None}
    assert with_device_mode == {case.code for case in CASES + DUAL_CASES}


def test_the_dual_vendors_run_in_the_browser_too() -> None:
    # Client and server in the matrix: every vendor with a browser tag has device mode; the
    # warehouses, storage, streams and webhooks take browser events through our servers only.
    dual = {
        d.code
        for d in load_catalog().all()
        if d.support.client and d.support.server and d.kind == "api" and d.code != "webhooks"
    }
    assert dual == {case.code for case in DUAL_CASES}
    assert len(dual) == 14


@pytest.mark.parametrize("case", CASES + DUAL_CASES, ids=[case.code for case in CASES + DUAL_CASES])
def test_vendor_tag_receives_mapped_calls(chromium: Browser, yard: Yard, case: Case) -> None:
    write_key = yard.source(case.code)
    yard.integrate(write_key, case.code, case.details, case.config)
    with shop_page(chromium, yard, write_key, stubs=case.stubs) as shop:
        name = load_catalog().get(case.code).name
        assert name in shop.plugin_names()
        order_id = shop.run(JOURNEY)
        if "after" in case.extra:
            shop.run(case.extra["after"])
        case.check(shop, order_id)
        for pattern in case.stubs:
            loads = case.extra.get("tag_loads", 1)
            assert shop.served_tags[pattern] == loads, f"the tag {pattern} loads {loads} time(s)"
    secrets = {
        v for k, v in case.details.items() if load_catalog().get(case.code).secret_connection_fields() & {k}
    }
    settings = yard_settings_text(yard, write_key)
    assert not [s for s in secrets if s in settings], "a secret reached the browser"


def yard_settings_text(yard: Yard, write_key: str) -> str:
    import httpx

    return httpx.get(f"{yard.url}/v1/projects/{write_key}/settings").text

"""Device mode in a real browser: Debian's Chromium driven by Playwright, a real collector
subprocess, Houston's GraphQL API on the same control DB.

One browser and one collector serve every test of the package (xdist group ``browser``, so the
tests run back to back on one worker) and stop when the worker moves on to another package; each
test opens its own browser context (no shared cookies or cache) and its own source.

Playwright's sync API runs an asyncio loop (in a greenlet) in the thread that starts it and
leaves that loop marked as running there for as long as it is open. Started in pytest's main
thread, it would break every later test of the same worker that runs a loop of its own
(``asyncio.run``: "cannot be called from a running event loop"). So Playwright lives in a
thread of its own (``PlaywrightThread``): the browser is launched there, and every browser
test's body is run there too (``pytest_pyfunc_call`` below), bounded by ``TEST_TIMEOUT_S``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from eventyard.db.models import Role
from eventyard.houston.app import create_app
from tests.browser.harness import CHROMIUM, CHROMIUM_FLAGS, Yard
from tests.collector.api.conftest import make_settings
from tests.houston.conftest import Api, make_account, make_org
from tests.live_collector import collector_process, home_env

REPO = Path(__file__).resolve().parents[2]
# The most one browser test may take (each of its waits is bounded far below this: WAIT_S,
# Playwright's default timeout, the page-side bound of Shop.run); a backstop against a hang.
TEST_TIMEOUT_S = 180.0
T = TypeVar("T")


class PlaywrightThread:
    """The one thread that owns Playwright: everything touching it is submitted here."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")

    def run(self, work: Callable[[], T], timeout: float = TEST_TIMEOUT_S) -> T:
        """Run ``work`` in the Playwright thread and return its result (re-raising its error)."""
        future = self._pool.submit(work)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            raise AssertionError(f"browser work did not finish within {timeout:.0f} s") from None

    def close(self) -> None:
        """Stop the thread once its queued work is done."""
        self._pool.shutdown(wait=True)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test shares the worker that owns the browser and the collector (first:
    pytest-xdist reads the xdist_group marks in its own implementation of this hook)."""
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.xdist_group("browser"))


def _is_browser_test(item: pytest.Item) -> bool:
    return "tests/browser/" in str(item.fspath).replace(os.sep, "/")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run the body of a test that takes ``chromium`` in the Playwright thread (its fixtures are
    made as usual, in pytest's thread)."""
    thread = _THREAD.get("thread")
    if thread is None or "chromium" not in pyfuncitem._fixtureinfo.argnames:
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    thread.run(lambda: pyfuncitem.obj(**arguments))
    return True


_THREAD: dict[str, PlaywrightThread] = {}


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium (``make setup`` installs it), headless, with a fresh profile, owned by
    the Playwright thread."""
    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: run `make setup`"
    thread = PlaywrightThread()

    def launch() -> tuple[Any, Browser]:
        driver = sync_playwright().start()
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        return driver, browser

    driver, browser = thread.run(launch, timeout=120)
    _THREAD["thread"] = thread
    try:
        yield browser
    finally:
        _THREAD.pop("thread", None)

        def stop() -> None:
            try:
                browser.close()
            finally:
                driver.stop()

        thread.run(stop, timeout=60)
        thread.close()


@pytest.fixture
def browse(chromium: Browser) -> Callable[[Callable[[Browser], T]], T]:
    """For a test whose body runs in pytest's thread (it also runs asyncio code, e.g. a
    delivery cycle): ``browse(work)`` runs ``work(browser)`` in the Playwright thread."""
    thread = _THREAD["thread"]
    return lambda work: thread.run(lambda: work(chromium))


@pytest.fixture(scope="package")
def yard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Yard]:
    """A collector subprocess + Houston (in process) on one SQLite control DB, and an org in it."""
    assert (REPO / "build/browser/click-ids.js").is_file(), "plugins are not built: run `make setup`"
    root = tmp_path_factory.mktemp("yard")
    home = root / "home"
    settings = make_settings(home, flush_interval_seconds=600.0)
    account = make_account(settings, "owner@shop.test")
    org = make_org(settings, "Shop", {account.user_id: Role.OWNER})
    env = home_env(settings, EVENTYARD_WRITEKEY_CACHE_SECONDS="0.2")
    with (
        collector_process(env, REPO, root / "collector.log") as (url, _),
        TestClient(create_app(settings)) as houston,
    ):
        yield Yard(url, settings, Api(houston), account.token, org)

"""Device mode in a real browser: Debian's Chromium driven by Playwright, a real collector
subprocess, Houston's GraphQL API on the same control DB.

One browser and one collector serve every test of the package (xdist group ``browser``);
each test opens its own browser context (no shared cookies or cache) and its own source.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Playwright, sync_playwright

from eventyard.db.models import Role
from eventyard.houston.app import create_app
from tests.browser.harness import CHROMIUM, CHROMIUM_FLAGS, Yard
from tests.collector.api.conftest import make_settings
from tests.collector.sdk.conftest import _wait_ready
from tests.conftest import free_port
from tests.houston.conftest import Api, make_account, make_org

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test shares the worker that owns the browser and the collector."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (``make setup`` installs it), headless, with a fresh profile."""
    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: run `make setup`"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def yard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Yard]:
    """A collector subprocess + Houston (in process) on one SQLite control DB, and an org in it."""
    assert (REPO / "build/browser/click-ids.js").is_file(), "plugins are not built: run `make setup`"
    root = tmp_path_factory.mktemp("yard")
    home = root / "home"
    settings = make_settings(home, flush_interval_seconds=600.0)
    account = make_account(settings, "owner@shop.test")
    org = make_org(settings, "Shop", {account.user_id: Role.OWNER})
    port = free_port()
    env = {
        **os.environ,
        "EVENTYARD_HOME": str(home),
        "EVENTYARD_SECRET_KEY": settings.secret_key or "",
        "EVENTYARD_FLUSH_INTERVAL_SECONDS": "600",
        "EVENTYARD_WRITEKEY_CACHE_SECONDS": "0.2",
    }
    env.pop("EVENTYARD_DATABASE_URL", None)
    env.pop("EVENTYARD_LANDING_URL", None)
    log = root / "collector.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "eventyard"), "collector", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        with TestClient(create_app(settings)) as houston:
            yield Yard(url, settings, Api(houston), account.token, org)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""The browser harness itself: Playwright must not leak its event loop into pytest's thread."""

from __future__ import annotations

import asyncio

import pytest


def test_an_open_browser_leaves_the_test_thread_free_for_event_loops(request: pytest.FixtureRequest) -> None:
    # Opened here, not taken as an argument, so this body runs in pytest's own thread, as the
    # rest of the suite does (tests of the same xdist worker run after the browser tests).
    request.getfixturevalue("chromium")
    assert asyncio.run(asyncio.sleep(0, result="ran")) == "ran"

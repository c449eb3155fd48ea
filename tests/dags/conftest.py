"""The running stack the real-scheduler tests share: one ``eventyard up`` per test session
(starting it is most of their cost), used by every ``*scheduler_e2e`` module of this folder.
Those modules are one xdist group, so they run on the same worker as the stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventyard.runtime.local_stack import Houston, RunningStack

START_TIMEOUT = 420.0  # migrations and five Python services on a loaded 2-core machine


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """``eventyard up`` in its own state directory; its log is printed if a test fails."""
    home = tmp_path_factory.mktemp("stack") / "home"
    # A short flush interval keeps the test quick; everything else is the embedded default.
    running_stack = RunningStack.start(
        home,
        extra_env={"EVENTYARD_SECRET_KEY": "e2e-secret-" + "k" * 40, "EVENTYARD_FLUSH_INTERVAL_SECONDS": "2"},
    )
    try:
        running_stack.wait_ready(START_TIMEOUT)
        yield running_stack
    finally:
        code = running_stack.stop()
        assert code == 0, f"eventyard up did not stop cleanly ({code}):\n{running_stack.log_tail()}"


@pytest.fixture(scope="session")
def account(stack: RunningStack) -> tuple[Houston, str]:
    """An owner's Houston client and the source ``eventyard bootstrap`` made for them."""
    made = stack.bootstrap("owner@example.com", "correct horse battery", "Acme", "web")
    return Houston(stack.houston_url, made["token"], made["orgId"]), made["sourceId"]

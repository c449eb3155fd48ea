"""The running stack the real-scheduler tests share: one ``eventyard up`` (starting it is most of
their cost), used by every ``*scheduler_e2e`` module of this folder. Those modules are one xdist
group, so they run one after the other on the same worker as the stack. The stack is scoped to
this package: it stops as soon as the worker moves on to another folder's tests, instead of
idling beside them until the end of the session.

A test that adds an integration of its own lists it in ``switched_off_after``: it is switched off
when the test is done, so that the next module's DAG runs map over their own only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Integration
from eventyard.runtime.local_stack import Houston, RunningStack
from eventyard.settings import Settings

START_TIMEOUT = 420.0  # migrations and five Python services on a loaded 2-core machine
STACK_SECRET = "e2e-secret-" + "k" * 40


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """``eventyard up`` in its own state directory; its log is printed if a test fails."""
    home = tmp_path_factory.mktemp("stack") / "home"
    # A short flush interval and scheduler idle sleep (the laptop's 4 s adds up to 4 s to each
    # step of every run) keep the tests quick; everything else is the embedded default.
    running_stack = RunningStack.start(
        home,
        extra_env={
            "EVENTYARD_SECRET_KEY": STACK_SECRET,
            "EVENTYARD_FLUSH_INTERVAL_SECONDS": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
        },
    )
    try:
        running_stack.wait_ready(START_TIMEOUT)
        yield running_stack
    finally:
        code = running_stack.stop()
        assert code == 0, f"eventyard up did not stop cleanly ({code}):\n{running_stack.log_tail()}"


@pytest.fixture(scope="package")
def account(stack: RunningStack) -> tuple[Houston, str]:
    """An owner's Houston client and the source ``eventyard bootstrap`` made for them."""
    made = stack.bootstrap("owner@example.com", "correct horse battery", "Acme", "web")
    return Houston(stack.houston_url, made["token"], made["orgId"]), made["sourceId"]


@pytest.fixture
def switched_off_after(stack: RunningStack) -> Iterator[list[str]]:
    """Integration ids a test adds to the shared stack: switched off after the test, so that the
    later modules' DAG runs leave them out."""
    added: list[str] = []
    yield added
    for integration_id in added:
        switch_off_integration(stack, integration_id)


def stack_settings(stack: RunningStack) -> Settings:
    """Settings on the stack's own state (its control DB, landing and secret key)."""
    return Settings(home=stack.home, secret_key=STACK_SECRET)


def switch_off_integration(stack: RunningStack, integration_id: str) -> None:
    """Disable an integration in the stack's control DB: later DAG runs leave it out."""
    with session_scope(get_engine(stack_settings(stack))) as session:
        integration = session.get(Integration, integration_id)
        assert integration is not None, integration_id
        integration.enabled = False

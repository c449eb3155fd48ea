"""Faults: a flaky receiver (10% 500s, 5% 429s) and one that is down for minutes, simulated with
a movable clock and a short retry window. Every event ends delivered exactly once (the receiver
counts idempotency keys) or dead-lettered with a reason; replay delivers the dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.cycle import deliver_once
from eventyard.destinations.engine import RetryPolicy
from eventyard.destinations.models import DeliveryDeadLetter, DeliveryLedger, DeliveryPending
from eventyard.destinations.service import delivery_metrics, replay_dead_letters
from eventyard.settings import Settings
from tests.destinations.pipeline import NOW, land, message
from tests.destinations.receivers import VendorReceiver
from tests.destinations.test_cycle import KINDS, webhook_integration

QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05, inline_budget_seconds=3.0, inline_max_delay=0.5)
NO_WAITING = RetryPolicy(base_delay=0.01, max_delay=30.0, inline_budget_seconds=0.1, inline_max_delay=0.05)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _count(settings: Settings, model: type, **where: object) -> int:
    with session_scope(get_engine(settings)) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


def test_flaky_receiver_delivers_every_event_exactly_once(
    settings: Settings, org_source: tuple[str, str], webhook_receiver: VendorReceiver
) -> None:
    webhook_receiver.fail_rate, webhook_receiver.throttle_rate = 0.10, 0.05
    webhook_integration(settings, org_source, webhook_receiver.url, enableBatching=True, batchSize=5)
    events = [message(KINDS[i % 6], i) for i in range(400)]
    for start in range(0, 400, 100):
        land(settings, org_source[1], events[start : start + 100])
    clock = Clock(NOW)
    for _ in range(10):  # a few cycles at most; each retries short waits in-process
        deliver_once(settings, clock=clock, policy=QUICK)
        clock.advance(minutes=1)
        if _count(settings, DeliveryPending) == 0:
            break
    statuses = [reply.status for _, reply in webhook_receiver.rejected]
    assert statuses.count(500) > 0 and statuses.count(429) > 0  # the faults really happened
    assert webhook_receiver.violations == []
    assert sorted(webhook_receiver.deliveries) == sorted(m["messageId"] for m in events)
    assert webhook_receiver.duplicates() == {}
    assert _count(settings, DeliveryDeadLetter) == 0 and _count(settings, DeliveryPending) == 0
    assert _count(settings, DeliveryLedger) == 4
    with session_scope(get_engine(settings)) as session:
        assert all(row.done_at is not None for row in session.scalars(select(DeliveryLedger)))
        (metrics,) = delivery_metrics(session, org_source[0])
    assert metrics["delivered"] == 400 and metrics["retried"] > 0


def test_outage_retries_across_cycles_then_dead_letters_then_replays(
    settings: Settings, org_source: tuple[str, str], webhook_receiver: VendorReceiver
) -> None:
    settings = settings.model_copy(update={"delivery_retry_window_seconds": 600})
    org_id, source_id = org_source
    integration_id = webhook_integration(settings, org_source, webhook_receiver.url, enableBatching=True)
    # From now, not from when the module was imported: batches are stamped with the real time, and
    # the lag check below must not depend on how long the suite ran before this test.
    clock = Clock(datetime.now(UTC))

    # Down for a few minutes, back within the retry window: nothing lost, nothing doubled.
    webhook_receiver.down = True
    early = [message("track", i) for i in range(40)]
    land(settings, source_id, early)
    report = deliver_once(settings, clock=clock, policy=NO_WAITING)
    assert report.totals()["pending"] == 40 and report.totals()["delivered"] == 0
    assert _count(settings, DeliveryLedger, pending=40) == 1
    with session_scope(get_engine(settings)) as session:
        # Landing stamps batches with the real time; NOW was fixed when the module was imported,
        # possibly minutes ago in a long suite: measure the lag from the real time too.
        (metrics,) = delivery_metrics(session, org_id, now=datetime.now(UTC) + timedelta(minutes=3))
    assert metrics["pending"] == 40 and metrics["lag_seconds"] > 0
    assert "network error" in (metrics["last_error"] or "")
    clock.advance(minutes=3)
    deliver_once(settings, clock=clock, policy=NO_WAITING)
    assert _count(settings, DeliveryPending) == 40 and _count(settings, DeliveryDeadLetter) == 0
    webhook_receiver.down = False
    clock.advance(minutes=3)
    assert deliver_once(settings, clock=clock, policy=NO_WAITING).totals()["delivered"] == 40
    assert _count(settings, DeliveryPending) == 0 and _count(settings, DeliveryLedger, pending=0) == 1

    # Down for longer than the retry window: dead letters with the reason, then replay.
    webhook_receiver.down, webhook_receiver.down_mode = True, "503"
    late = [message("page", i) for i in range(40, 70)]
    land(settings, source_id, late)
    deliver_once(settings, clock=clock, policy=NO_WAITING)
    for _ in range(4):
        clock.advance(minutes=4)
        deliver_once(settings, clock=clock, policy=NO_WAITING)
    assert _count(settings, DeliveryPending) == 0
    with session_scope(get_engine(settings)) as session:
        letters = session.scalars(select(DeliveryDeadLetter)).all()
        assert len(letters) == 30 and {letter.reason for letter in letters} == {"expired"}
        assert all("HTTP 503" in letter.error for letter in letters)
    assert _count(settings, DeliveryLedger, pending=0) == 2

    webhook_receiver.down = False
    with session_scope(get_engine(settings)) as session:
        assert replay_dead_letters(session, org_id, integration_id, message_ids=["msg-page-000040"]) == 1
        assert replay_dead_letters(session, org_id, integration_id, since=NOW - timedelta(days=1)) == 29
        assert replay_dead_letters(session, org_id, integration_id) == 0
    assert deliver_once(settings, clock=clock, policy=NO_WAITING).totals()["delivered"] == 30
    assert sorted(webhook_receiver.deliveries) == sorted(m["messageId"] for m in early + late)
    assert webhook_receiver.duplicates() == {}
    with session_scope(get_engine(settings)) as session:
        (metrics,) = delivery_metrics(session, org_id, integration_id)
    assert metrics["open_dead_letters"] == 0 and metrics["replayed"] == 30 and metrics["delivered"] == 70

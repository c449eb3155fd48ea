"""End to end: landed batches → deliver_once → a webhook receiver, with ledger, filters and DLQ."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.cycle import deliver_once
from eventyard.destinations.models import DeliveryDeadLetter, DeliveryLedger
from eventyard.destinations.service import delivery_metrics
from eventyard.settings import Settings
from tests.destinations.contracts import WEBHOOK_SECRET, WEBHOOK_TOKEN, webhook_contract, webhook_keys
from tests.destinations.pipeline import add_integration, land, message
from tests.destinations.receivers import Received, Reply, VendorReceiver, reject, running

KINDS = ("track", "identify", "page", "screen", "group", "alias")


def webhook_integration(settings: Settings, org_source: tuple[str, str], url: str, **config: Any) -> str:
    connection = {
        "webhookUrl": f"{url}/segment",
        "sharedSecret": WEBHOOK_SECRET,
        "headers": {"Authorization": WEBHOOK_TOKEN},
    }
    return add_integration(settings, *org_source, "webhooks", connection, config)


def test_batches_are_delivered_once_and_never_resent(
    settings: Settings, org_source: tuple[str, str], webhook_receiver: VendorReceiver
) -> None:
    integration_id = webhook_integration(
        settings, org_source, webhook_receiver.url, enableBatching=True, batchSize=10
    )
    first = [message(KINDS[i % 6], i) for i in range(30)]
    second = [message(KINDS[i % 6], i) for i in range(30, 55)]
    land(settings, org_source[1], first)
    land(settings, org_source[1], second)

    report = deliver_once(settings)
    assert report.totals()["delivered"] == 55 and report.totals()["batches"] == 2
    assert webhook_receiver.violations == []
    assert sorted(webhook_receiver.deliveries) == sorted(m["messageId"] for m in first + second)
    assert webhook_receiver.duplicates() == {}
    assert all(len(r.json()) <= 10 for r in webhook_receiver.accepted)

    requests_before = len(webhook_receiver.accepted)
    again = deliver_once(settings)
    assert again.totals()["batches"] == 0 and len(webhook_receiver.accepted) == requests_before

    land(settings, org_source[1], [message("track", 99)])
    assert deliver_once(settings).totals()["delivered"] == 1
    assert webhook_receiver.deliveries["msg-track-000099"] == 1 and webhook_receiver.duplicates() == {}

    with session_scope(get_engine(settings)) as session:
        ledger = session.scalars(select(DeliveryLedger).order_by(DeliveryLedger.batch_seq)).all()
        counts = [(row.total, row.delivered, row.pending) for row in ledger]
        assert counts == [(30, 30, 0), (25, 25, 0), (1, 1, 0)]
        assert all(row.done_at is not None for row in ledger)
        (metrics,) = delivery_metrics(session, org_source[0], integration_id)
    assert metrics["delivered"] == 56 and metrics["pending"] == 0 and metrics["lag_seconds"] == 0
    assert metrics["dead_lettered"] == 0 and metrics["last_error"] is None


def test_integrations_object_allow_deny_and_call_types(
    settings: Settings, org_source: tuple[str, str], webhook_receiver: VendorReceiver
) -> None:
    webhook_integration(
        settings,
        org_source,
        webhook_receiver.url,
        eventDenyList=["Secret Event"],
        callTypes=["track", "identify", "page"],
    )
    messages = [
        message("track", 1, integrations={"All": False, "Webhooks": True}),
        message("track", 2, integrations={"All": False, "Mixpanel": True}),
        message("track", 3, integrations={"Webhooks": False}),
        message("track", 4, integrations={"webhooks": {"option": 1}, "All": False}),
        message("track", 5, event="Secret Event"),
        message("identify", 6),
        message("alias", 7),
        message("page", 8, integrations={"webhooks": False}),
    ]
    land(settings, org_source[1], messages)
    report = deliver_once(settings)
    delivered = sorted(webhook_receiver.deliveries)
    assert delivered == ["msg-identify-000006", "msg-track-000001", "msg-track-000004"]
    assert report.totals()["skipped"] == 5 and report.totals()["delivered"] == 3


def test_rejected_events_are_dead_lettered_with_redacted_errors(
    settings: Settings, org_source: tuple[str, str]
) -> None:
    def picky(request: Received) -> Reply:
        body = request.json()
        if body.get("properties", {}).get("poison"):
            # A careless vendor echoing credentials back: they must not reach the DLQ.
            reject(422, {"error": f"invalid property; auth was {request.headers.get('authorization')}"})
        return webhook_contract(request)

    with running(picky, keys=webhook_keys) as receiver:
        webhook_integration(settings, org_source, receiver.url)
        good = [message("track", i) for i in range(3)]
        poison = message("track", 3, properties={"poison": True})
        land(settings, org_source[1], [*good, poison])
        report = deliver_once(settings)
    assert report.totals()["delivered"] == 3 and report.totals()["dead_lettered"] == 1
    with session_scope(get_engine(settings)) as session:
        (letter,) = session.scalars(select(DeliveryDeadLetter)).all()
        ledger = session.scalars(select(DeliveryLedger)).one()
    assert letter.message_id == "msg-track-000003" and letter.reason == "rejected"
    assert "HTTP 422" in letter.error and "invalid property" in letter.error
    assert WEBHOOK_TOKEN.split()[1] not in letter.error and "********" in letter.error
    assert ledger.done_at is not None and ledger.dead_lettered == 1

"""End to end through the delivery engine: one landed batch goes to Braze and Heap receivers and to
the retired Calq; deliveries, partial failures and the retirement all end in the ledger/DLQ."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.cycle import deliver_once
from eventyard.destinations.models import DeliveryDeadLetter
from eventyard.destinations.vendors.braze import Braze
from eventyard.destinations.vendors.heap import Heap
from eventyard.settings import Settings
from tests.destinations.pipeline import add_integration, land, message
from tests.destinations.vendors import harness
from tests.destinations.vendors.test_braze import API_KEY, BrazeWorkspace
from tests.destinations.vendors.test_heap import HeapStore

KINDS = ("track", "identify", "page", "screen", "group", "alias")


@pytest.fixture
def braze_workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[BrazeWorkspace]:
    workspace = BrazeWorkspace()
    with harness.running(workspace) as receiver:
        monkeypatch.setattr(Braze, "base_url", receiver.url)
        yield workspace


@pytest.fixture
def heap_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[HeapStore, harness.Receiver]]:
    store = HeapStore()
    with harness.running(store) as receiver:
        monkeypatch.setattr(Heap, "base_url", receiver.url)
        yield store, receiver


def test_a_landed_batch_reaches_two_vendors_and_the_retired_one_dead_letters(
    settings: Settings,
    org_source: tuple[str, str],
    braze_workspace: BrazeWorkspace,
    heap_receiver: tuple[HeapStore, harness.Receiver],
) -> None:
    heap_store, heap = heap_receiver
    braze_id = add_integration(settings, *org_source, "braze", {"restApiKey": API_KEY, "dataCenter": "US-03"})
    heap_id = add_integration(settings, *org_source, "heap", {"appId": "1234567890"})
    calq_id = add_integration(settings, *org_source, "calq", {"writeKey": "calq-key"})
    messages = [message(KINDS[i % 6], i) for i in range(30)]
    bad_order = message("track", 30)
    bad_order["properties"]["products"] = [{"product_id": "sku_9", "price": 3.0, "quantity": 500}]
    land(settings, org_source[1], [*messages, bad_order])

    report = deliver_once(settings)
    by_code = {r.code: r for r in report.integrations}
    assert by_code["heap"].delivered == 21 and by_code["heap"].skipped == 10  # group/alias: documented skips
    assert by_code["braze"].dead_lettered == 1 and by_code["braze"].delivered == 30
    assert by_code["calq"].dead_lettered == 31 and by_code["calq"].delivered == 0

    tracked = {m["messageId"] for m in [*messages, bad_order] if m["type"] in ("track", "page", "screen")}
    assert set(heap_store.events) == tracked and len(heap_store.users) == 5
    assert len(braze_workspace.objects["events"]) == 16 and len(braze_workspace.merges) == 5
    assert braze_workspace.objects["purchases"] == []

    with session_scope(get_engine(settings)) as session:
        dead = session.scalars(select(DeliveryDeadLetter)).all()
        braze_dead = [d for d in dead if d.integration_id == braze_id]
        calq_dead = [d for d in dead if d.integration_id == calq_id]
        assert not [d for d in dead if d.integration_id == heap_id]
    assert [(d.message_id, "quantity" in d.error) for d in braze_dead] == [(bad_order["messageId"], True)]
    assert len(calq_dead) == 31 and all(d.error.startswith("Calq is retired: ") for d in calq_dead)
    assert all(API_KEY not in d.error for d in dead)

    requests = len(heap.accepted)
    assert deliver_once(settings).totals()["batches"] == 0  # acknowledged batches are never resent
    assert len(heap.accepted) == requests

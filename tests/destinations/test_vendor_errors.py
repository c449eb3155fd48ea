"""A vendor module that raises (in classify, build_request, transform, or by answering with a
malformed classification) never makes the engine loop: through the real delivery cycle, the
events concerned are dead-lettered with a traceback summary (reason ``vendor_error``), counted,
never resent, and replayable once the module is fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.base import Classification, HttpResponse, Outcome, VendorRecord
from eventyard.destinations.cycle import deliver_once
from eventyard.destinations.models import DeliveryDeadLetter
from eventyard.destinations.service import delivery_metrics, replay_dead_letters
from eventyard.destinations.vendors.webhooks import Webhooks
from eventyard.settings import Settings
from tests.destinations.pipeline import land, message
from tests.destinations.receivers import VendorReceiver
from tests.destinations.test_cycle import webhook_integration


def _raise_in_classify(
    self: Webhooks, response: HttpResponse, records: Sequence[VendorRecord]
) -> Classification:
    errors = {"errors": ["minor error message"]}  # what Braze's classify once choked on
    return Classification(Outcome.PARTIAL, failed={int(e.split()[0]): e for e in errors["errors"]})


def _raise_in_build(self: Webhooks, route: str, records: Sequence[VendorRecord]) -> Any:
    raise KeyError("webhookMethodd")


def _raise_in_transform(self: Webhooks, message: Mapping[str, Any], text: str) -> Any:
    raise ZeroDivisionError("division by zero")


def _malformed_answer(
    self: Webhooks, response: HttpResponse, records: Sequence[VendorRecord]
) -> Classification:
    return Classification(Outcome.PARTIAL, failed={"0": "not an index"})  # type: ignore[dict-item]


CASES: dict[str, tuple[str, Callable[..., Any], str, bool]] = {
    # name: (method, replacement, error text, whether the vendor received the events)
    "classify": ("classify", _raise_in_classify, "webhooks.classify raised ValueError", True),
    "build_request": ("build_request", _raise_in_build, "webhooks.build_request raised KeyError", False),
    "transform": (
        "transform_landed",
        _raise_in_transform,
        "webhooks.transform raised ZeroDivisionError",
        False,
    ),
    "malformed": ("classify", _malformed_answer, "webhooks.classify raised TypeError", True),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_raising_vendor_module_dead_letters_and_never_loops(
    settings: Settings,
    org_source: tuple[str, str],
    webhook_receiver: VendorReceiver,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    method, replacement, error, reached = CASES[case]
    integration_id = webhook_integration(settings, org_source, webhook_receiver.url, enableBatching=True)
    events = [message("track", i) for i in range(12)]
    land(settings, org_source[1], events)
    monkeypatch.setattr(Webhooks, method, replacement)

    report = deliver_once(settings)
    totals = report.totals()
    assert (totals["dead_lettered"], totals["vendor_errors"], totals["delivered"]) == (12, 12, 0), report
    assert report.integrations[0].error is None  # the cycle itself went fine
    assert bool(webhook_receiver.accepted) is reached
    with session_scope(get_engine(settings)) as session:
        dead = session.scalars(select(DeliveryDeadLetter)).all()
        assert {d.reason for d in dead} == {"vendor_error"} and len(dead) == 12
        assert all(error in d.error and ".py:" in d.error for d in dead), dead[0].error
        (metrics,) = delivery_metrics(session, org_source[0], integration_id)
    assert metrics["vendor_errors"] == 12 and metrics["dead_lettered"] == 12

    # Never resent: the batch has its ledger row, the next cycles read nothing.
    requests = len(webhook_receiver.accepted)
    for _ in range(2):
        again = deliver_once(settings).totals()
        assert (again["batches"], again["requests"]) == (0, 0)
    assert len(webhook_receiver.accepted) == requests

    # Fixed module, replayed dead letters: delivered.
    monkeypatch.undo()
    with session_scope(get_engine(settings)) as session:
        assert replay_dead_letters(session, org_source[0], integration_id) == 12
    assert deliver_once(settings).totals()["delivered"] == 12
    assert {m["messageId"] for m in events} <= set(webhook_receiver.deliveries)

"""The engine's retry rules with a minimal vendor, the registry, and the service layer's guards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pytest

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.base import (
    Classification,
    HttpRequest,
    HttpResponse,
    Integration,
    Outcome,
    VendorRecord,
    default_classification,
)
from eventyard.destinations.filters import MessageFilter
from eventyard.destinations.registry import get_integration_class, import_errors, integration_classes
from eventyard.destinations.service import ReplayError, delivery_metrics, replay_dead_letters
from eventyard.settings import Settings
from tests.destinations.drive import run_engine
from tests.destinations.pipeline import message
from tests.destinations.receivers import Received, Reply, running


class Echo(Integration):
    """A vendor whose responses list per-record failures: ``{"failed": [index, ...]}``."""

    code = "echo"
    max_batch_events = 10

    def __init__(self, url: str) -> None:
        super().__init__({}, {})
        self.url = url

    def transform(self, message: Mapping[str, Any]) -> Sequence[VendorRecord]:
        return [VendorRecord(str(message["messageId"]), {"id": message["messageId"]})]

    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        return HttpRequest("POST", self.url, {}, orjson.dumps([r.payload for r in records]))

    def classify(self, response: HttpResponse, records: Sequence[VendorRecord]) -> Classification:
        body = orjson.loads(response.body or b"{}")
        if response.status == 207:
            failed = {i: "busy" for i in body["failed"]}
            return Classification(Outcome.PARTIAL, error="some busy", failed=failed, retry_failed=True)
        return default_classification(response)


def test_partial_failures_resend_only_the_failed_records() -> None:
    seen: dict[str, int] = {}

    def contract(request: Received) -> Reply:
        ids = [item["id"] for item in request.json()]
        failed = [i for i, key in enumerate(ids) if key.endswith(("1", "3")) and key not in seen]
        for i, key in enumerate(ids):
            seen.setdefault(key, 0)
            if i not in failed:
                seen[key] += 1
        accepted = [key for i, key in enumerate(ids) if i not in failed]
        return Reply(207 if failed else 200, {"failed": failed}, accepted_keys=accepted)

    messages = [message("track", i) for i in range(20)]
    with running(contract) as receiver:
        run = run_engine(Echo(receiver.url), messages)
    assert set(run.statuses().values()) == {"delivered"}
    assert receiver.duplicates() == {} and len(receiver.deliveries) == 20
    # Two batches of 10, each with 2 busy records; then only those 2 are resent, per batch.
    assert run.stats.retried_records == 4 and run.stats.requests == 4
    sizes = sorted(len(request.json()) for request in receiver.accepted)
    assert sizes == [2, 2, 10, 10]
    resent = [request.json() for request in receiver.accepted if len(request.json()) == 2]
    assert all(item["id"].endswith(("1", "3")) for batch in resent for item in batch)


def test_registry_finds_every_vendor_module() -> None:
    classes = integration_classes()
    for code in (
        "webhooks",
        "amplitude",
        "mixpanel",
        "google_analytics",
        "google_firebase",
        "amazon_kinesis",
    ):
        assert classes[code].code == code
    assert import_errors() == {}
    with pytest.raises(KeyError, match="no vendor integration implements 'nope'"):
        get_integration_class("nope")


def test_filters_follow_segment_rules() -> None:
    f = MessageFilter.build(
        names=["Google Analytics", "google_analytics"],
        vendor_call_types={"track", "page"},
        config={"eventAllowList": [{"eventName": "A"}, "B"], "callTypes": ["track", "page", "identify"]},
    )
    assert f.skip_reason({"type": "track", "event": "A"}) is None
    assert "allow list" in (f.skip_reason({"type": "track", "event": "C"}) or "")
    assert "does not take" in (f.skip_reason({"type": "identify"}) or "")
    assert "turned off" in (f.skip_reason({"type": "group"}) or "")
    assert (
        f.skip_reason({"type": "page", "integrations": {"All": False, "Google Analytics": {"x": 1}}}) is None
    )
    assert f.skip_reason({"type": "page", "integrations": {"All": False, "google analytics": True}})
    assert f.skip_reason({"type": "page", "integrations": {"All": True, "google_analytics": False}})


def test_service_refuses_other_organizations(sqlite_settings: Settings) -> None:
    with session_scope(get_engine(sqlite_settings)) as session:
        assert delivery_metrics(session, "no-such-org") == []
        with pytest.raises(ReplayError):
            replay_dead_letters(session, "no-such-org", "no-such-integration")


@pytest.mark.parametrize(("code", "legacy_key"), [("heap", "Heap"), ("braze", "Appboy"), ("keen", "Keen IO")])
def test_segment_legacy_integration_names_switch_vendors_off(code: str, legacy_key: str) -> None:
    from eventyard.destinations.prepare import catalog_entry, integrations_keys
    from eventyard.destinations.registry import get_integration_class

    cls = get_integration_class(code)
    names, _ = catalog_entry(code)
    f = MessageFilter.build(names=integrations_keys(cls, names), vendor_call_types={"track"}, config={})
    assert f.skip_reason({"type": "track", "event": "A", "integrations": {legacy_key: False}})
    assert (
        f.skip_reason({"type": "track", "event": "A", "integrations": {"All": False, legacy_key: True}})
        is None
    )

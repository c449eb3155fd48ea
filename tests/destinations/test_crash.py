"""kill -9 in the middle of a delivery: nothing is lost, and the resent events are the ones the
vendor dedupes by messageId (the batch was never acknowledged in the ledger)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.cycle import LEASE_SECONDS, deliver_once
from eventyard.destinations.models import DeliveryLedger
from eventyard.settings import Settings
from tests.destinations.contracts import webhook_contract, webhook_keys, webhook_messages
from tests.destinations.pipeline import create_org_source, land, message
from tests.destinations.receivers import Received, Reply, running
from tests.destinations.test_cycle import webhook_integration


def test_kill_during_delivery_loses_nothing(sqlite_settings: Settings) -> None:
    first_request = threading.Event()
    release = threading.Event()
    seen_before_kill: set[str] = set()

    def slow_vendor(request: Received) -> Reply:
        if not release.is_set():
            seen_before_kill.update(m["messageId"] for m in webhook_messages(request))
            first_request.set()
            release.wait(30)  # hold the request until the deliverer is dead
        return webhook_contract(request)

    with running(slow_vendor, keys=webhook_keys) as receiver:
        org_source = create_org_source(sqlite_settings)
        webhook_integration(sqlite_settings, org_source, receiver.url, enableBatching=True, batchSize=10)
        events = [message("track", i) for i in range(60)]
        land(sqlite_settings, org_source[1], events)

        cli = Path(sys.executable).with_name("eventyard")
        proc = subprocess.Popen([str(cli), "deliver", "--once"], env=dict(os.environ))
        try:
            assert first_request.wait(60), "the deliverer never reached the vendor"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        release.set()  # the vendor now answers (and ingests) the requests it was holding

        with session_scope(get_engine(sqlite_settings)) as session:
            assert session.scalars(select(DeliveryLedger)).all() == []  # nothing was acknowledged
        # The dead process still holds the lease until it expires.
        later = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1)
        report = deliver_once(sqlite_settings, clock=lambda: later)
    assert report.totals()["delivered"] == 60
    assert sorted(receiver.deliveries) == sorted(m["messageId"] for m in events)  # nothing lost
    assert set(receiver.duplicates()) <= seen_before_kill  # only in-flight events came twice
    with session_scope(get_engine(sqlite_settings)) as session:
        (ledger,) = session.scalars(select(DeliveryLedger)).all()
    assert ledger.delivered == 60 and ledger.done_at is not None

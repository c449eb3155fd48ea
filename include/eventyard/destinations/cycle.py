"""One delivery cycle: for each enabled API/stream integration, retry its due pending events,
then read the landed batches it has not read yet, deliver them, and record every event's fate.

``deliver_once`` is what ``eventyard deliver --once`` and the ``deliver_destinations`` DAG run
(the DAG maps ``deliver_integration`` over ``deliverable_integration_ids``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.queries import enabled_integration_ids
from eventyard.destinations import ledger
from eventyard.destinations.base import SdkIntegration
from eventyard.destinations.engine import DeliveryEngine, EngineStats, RetryPolicy
from eventyard.destinations.http import make_client
from eventyard.destinations.models import DeliveryPending
from eventyard.destinations.prepare import (
    Prepared,
    VendorSetup,
    fates_for,
    prepare,
    read_batch_messages,
    setup_vendor,
)
from eventyard.destinations.registry import integration_classes
from eventyard.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
LEASE_SECONDS = 600.0  # renewed after every batch; a killed worker blocks it this long at most
CYCLE_SECONDS = 300.0  # stop reading new batches after this, well inside the lease
PENDING_PER_CYCLE = 20_000
LEASE_BUSY = "another worker holds this integration's delivery lease"


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


@dataclass
class IntegrationReport:
    """What one cycle did for one integration."""

    integration_id: str
    code: str = ""
    batches: int = 0
    delivered: int = 0
    skipped: int = 0
    retried: int = 0
    dead_lettered: int = 0
    vendor_errors: int = 0  # of the dead letters: the vendor module raised (fix it, then replay)
    pending: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None


@dataclass
class DeliveryReport:
    """What one cycle did for every integration."""

    integrations: list[IntegrationReport] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """Sums over every integration."""
        keys = (
            "batches",
            "delivered",
            "skipped",
            "retried",
            "dead_lettered",
            "vendor_errors",
            "pending",
            "requests",
        )
        return {k: sum(int(getattr(r, k)) for r in self.integrations) for k in keys}

    def as_dict(self) -> dict[str, object]:
        """A JSON-able form (for XCom and the CLI)."""
        return {"totals": self.totals(), "integrations": [asdict(r) for r in self.integrations]}


def default_policy(settings: Settings) -> RetryPolicy:
    """The retry policy the settings ask for."""
    return RetryPolicy(inline_budget_seconds=settings.delivery_inline_retry_seconds)


def deliverable_integration_ids(settings: Settings) -> list[str]:
    """Enabled integrations that a vendor module implements (API and stream kinds)."""
    return enabled_integration_ids(settings, set(integration_classes()).__contains__)


def deliver_once(
    settings: Settings, *, clock: Clock = utc_now, policy: RetryPolicy | None = None
) -> DeliveryReport:
    """Run one delivery cycle for every deliverable integration, one after the other."""
    report = DeliveryReport()
    for integration_id in deliverable_integration_ids(settings):
        report.integrations.append(deliver_integration(settings, integration_id, clock=clock, policy=policy))
    return report


def deliver_integration(
    settings: Settings, integration_id: str, *, clock: Clock = utc_now, policy: RetryPolicy | None = None
) -> IntegrationReport:
    """One cycle for one integration, under its lease; errors are reported, never raised."""
    report = IntegrationReport(integration_id=integration_id)
    engine = get_engine(settings)
    owner = f"{socket.gethostname()}:{os.getpid()}:{id(report)}"
    if not ledger.acquire_lease(engine, integration_id, owner, clock(), LEASE_SECONDS):
        report.error = LEASE_BUSY
        return report
    started = time.monotonic()
    try:
        setup = setup_vendor(settings, integration_id)
        report.code = setup.code

        def renew() -> bool:
            return ledger.acquire_lease(engine, integration_id, owner, clock(), LEASE_SECONDS)

        asyncio.run(_deliver(settings, setup, report, clock, policy or default_policy(settings), renew))
    except Exception as exc:
        log.exception("delivery of integration %s failed", integration_id)
        report.error = f"{type(exc).__name__}: {exc}"
    finally:
        ledger.release_lease(engine, integration_id, owner)
        report.seconds = round(time.monotonic() - started, 3)
    with session_scope(engine) as session:
        report.pending = int(
            session.scalar(
                select(func.count())
                .select_from(DeliveryPending)
                .where(DeliveryPending.integration_id == integration_id)
            )
            or 0
        )
    return report


async def _deliver(
    settings: Settings,
    setup: VendorSetup,
    report: IntegrationReport,
    clock: Clock,
    policy: RetryPolicy,
    renew_lease: Callable[[], bool],
) -> None:
    vendor = setup.vendor
    engine = get_engine(settings)
    window = float(settings.delivery_retry_window_seconds)
    client = None if isinstance(vendor, SdkIntegration) else make_client(settings.delivery_concurrency)
    started = time.monotonic()
    inline_deadline = started + policy.inline_budget_seconds  # in-process waiting, for the whole cycle
    # Tens of thousands of acyclic dicts per batch: reference counting frees them, while the cyclic
    # GC would re-scan every live object again and again (2x slower on a busy process).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    upcoming: asyncio.Future[Prepared] | None = None
    try:
        # Due retries first: they are the oldest events.
        with session_scope(engine) as session:
            rows = ledger.due_pending(session, setup.integration_id, clock(), PENDING_PER_CYCLE)
            messages = [(row.message_id, row.message) for row in rows]
        if rows:
            prepared = prepare(setup, messages)
            fates, stats = await _send(setup, prepared, client, settings, policy, inline_deadline)
            with session_scope(engine) as session:
                rows = [session.merge(row) for row in rows]
                write = ledger.LedgerWrite(session, setup.org_id, setup.integration_id, clock(), window)
                tally = ledger.record_retries(write, rows, fates)
                ledger.count_inline_retries(session, setup.integration_id, stats.retried_records)
            _add(report, tally, stats.requests, stats.retried_records)
        with session_scope(engine) as session:
            batches = ledger.new_batches(
                session, setup.integration_id, setup.source_id, settings.delivery_max_batches_per_cycle
            )

        def load(uri: str) -> Prepared:
            return prepare(setup, read_batch_messages(settings, uri))

        # Read and transform the next batch in a thread while this one's requests are in flight.
        upcoming = asyncio.ensure_future(asyncio.to_thread(load, batches[0].uri)) if batches else None
        for index, batch in enumerate(batches):
            if upcoming is None or time.monotonic() - started > CYCLE_SECONDS or not renew_lease():
                break  # the next cycle goes on; a lost lease means another worker took over
            prepared = await upcoming
            upcoming = None
            if index + 1 < len(batches):
                upcoming = asyncio.ensure_future(asyncio.to_thread(load, batches[index + 1].uri))
            fates, stats = await _send(setup, prepared, client, settings, policy, inline_deadline)
            with session_scope(engine) as session:
                write = ledger.LedgerWrite(session, setup.org_id, setup.integration_id, clock(), window)
                tally = ledger.record_batch(write, batch, fates)
                ledger.count_inline_retries(session, setup.integration_id, stats.retried_records)
            report.batches += 1
            _add(report, tally, stats.requests, stats.retried_records)
            del fates, stats, prepared
            gc.collect()  # between batches little is alive, so a full pass is cheap
    finally:
        if upcoming is not None:  # a read-ahead that will not be used: let it finish, drop it
            await asyncio.gather(upcoming, return_exceptions=True)
        if gc_was_enabled:
            gc.enable()
        if client is not None:
            await client.aclose()
        if isinstance(vendor, SdkIntegration):
            await vendor.aclose()


async def _send(
    setup: VendorSetup,
    prepared: Prepared,
    client: httpx.AsyncClient | None,
    settings: Settings,
    policy: RetryPolicy,
    inline_deadline: float,
) -> tuple[list[ledger.Fate], EngineStats]:
    concurrency = settings.delivery_concurrency
    engine = DeliveryEngine(
        setup.vendor, client, concurrency=concurrency, policy=policy, inline_deadline=inline_deadline
    )
    results = await engine.deliver(prepared.items)
    return fates_for(prepared, results), engine.stats


def _add(report: IntegrationReport, tally: ledger.Tally, requests: int, inline_retried: int) -> None:
    report.delivered += tally.delivered
    report.skipped += tally.skipped
    report.retried += tally.retried + inline_retried
    report.dead_lettered += tally.dead_lettered
    report.vendor_errors += tally.vendor_errors
    report.requests += requests

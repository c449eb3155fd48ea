"""Reading and writing the delivery ledger, pending retries, dead letters and counters.

The order of writes is what makes delivery safe: the fate of every event of a batch (delivered,
skipped, pending, dead-lettered) is written in the same transaction as the batch's ledger row,
so after a crash either the batch is unread (and is sent again — vendors dedupe by the
idempotency key) or everything about it is on record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventyard.db.engine import session_scope
from eventyard.db.models import Batch
from eventyard.destinations.models import (
    DeliveryDeadLetter,
    DeliveryLedger,
    DeliveryPending,
    DeliveryStats,
)

MAX_ERROR_CHARS = 2000


@dataclass
class Fate:
    """What became of one message in this attempt."""

    message_id: str
    message: str  # the Segment message as JSON text
    status: str  # delivered | skipped | retry | dead
    reason: str = ""  # for dead: rejected | invalid | expired | vendor_error
    error: str = ""
    retry_in: float = 0.0


@dataclass
class Tally:
    """Counts of fates written in one call."""

    delivered: int = 0
    skipped: int = 0
    retried: int = 0
    dead_lettered: int = 0
    vendor_errors: int = 0  # of the dead letters: a vendor module raised instead of answering
    last_error: str = ""

    def absorb(self, step: Tally) -> None:
        """Add the counts of ``step`` (its error, if any, becomes the last one)."""
        self.delivered += step.delivered
        self.skipped += step.skipped
        self.dead_lettered += step.dead_lettered
        self.vendor_errors += step.vendor_errors
        self.last_error = step.last_error or self.last_error


@dataclass(frozen=True)
class LedgerWrite:
    """One write of fates to the ledger: the transaction, whose events, when, and how long a
    failing event may keep being retried (``window_seconds`` after its first failure)."""

    session: Session
    org_id: str
    integration_id: str
    now: datetime
    window_seconds: float

    def within_window(self, first_failed_at: datetime) -> bool:
        """Whether an event that first failed then may still be retried."""
        return self.now < first_failed_at + timedelta(seconds=self.window_seconds)

    def next_attempt(self, first_failed_at: datetime, retry_in: float) -> datetime:
        """When to try again: after the vendor's delay, but never past the retry window."""
        return _next_attempt(self.now, first_failed_at, retry_in, self.window_seconds)


def acquire_lease(engine: Engine, integration_id: str, owner: str, now: datetime, ttl: float) -> bool:
    """Take the integration's delivery lease unless another live worker holds it."""
    try:
        with session_scope(engine) as session:
            if session.get(DeliveryStats, integration_id) is None:
                session.add(DeliveryStats(integration_id=integration_id))
    except IntegrityError:
        pass  # another worker created the row first
    stats = DeliveryStats.__table__
    with engine.begin() as conn:
        result = conn.execute(
            update(DeliveryStats)
            .where(
                stats.c.integration_id == integration_id,
                (stats.c.lease_until.is_(None))
                | (stats.c.lease_until < now)
                | (stats.c.lease_owner == owner),
            )
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=ttl))
        )
        return bool(result.rowcount == 1)


def release_lease(engine: Engine, integration_id: str, owner: str) -> None:
    """Give the lease back (only if this worker still holds it)."""
    with engine.begin() as conn:
        conn.execute(
            update(DeliveryStats)
            .where(DeliveryStats.integration_id == integration_id, DeliveryStats.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def new_batches(session: Session, integration_id: str, source_id: str, limit: int) -> list[Batch]:
    """The source's landed batches this integration has not read yet, oldest first."""
    read = exists().where(
        DeliveryLedger.integration_id == integration_id, DeliveryLedger.batch_id == Batch.id
    )
    query = select(Batch).where(Batch.source_id == source_id, ~read).order_by(Batch.seq).limit(limit)
    return list(session.scalars(query))


def due_pending(session: Session, integration_id: str, now: datetime, limit: int) -> list[DeliveryPending]:
    """Pending events whose next attempt is due, oldest first."""
    query = (
        select(DeliveryPending)
        .where(DeliveryPending.integration_id == integration_id, DeliveryPending.next_attempt_at <= now)
        .order_by(DeliveryPending.next_attempt_at, DeliveryPending.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def record_batch(write: LedgerWrite, batch: Batch, fates: Sequence[Fate]) -> Tally:
    """Write a freshly read batch's ledger row with the fate of each of its events."""
    tally = Tally()
    now = write.now
    for fate in fates:
        _apply(write, batch.id, fate, now, 1, tally)
    pending = tally.retried
    write.session.add(
        DeliveryLedger(
            integration_id=write.integration_id,
            batch_id=batch.id,
            batch_seq=batch.seq,
            total=len(fates),
            delivered=tally.delivered,
            skipped=tally.skipped,
            dead_lettered=tally.dead_lettered,
            pending=pending,
            batch_created_at=batch.created_at,
            created_at=now,
            done_at=now if pending == 0 else None,
        )
    )
    _count(write.session, write.integration_id, tally, now)
    return tally


def record_retries(write: LedgerWrite, rows: Sequence[DeliveryPending], fates: Sequence[Fate]) -> Tally:
    """Write the outcome of retried pending events; close ledger rows whose last event resolved."""
    tally = Tally()
    for row, fate in zip(rows, fates, strict=True):
        if fate.status == "retry" and write.within_window(row.first_failed_at):
            row.attempts += 1
            row.last_error = fate.error[:MAX_ERROR_CHARS]
            row.next_attempt_at = write.next_attempt(row.first_failed_at, fate.retry_in)
            tally.retried += 1
            tally.last_error = fate.error
            continue
        step = Tally()
        _apply(write, row.batch_id, fate, row.first_failed_at, row.attempts + 1, step)
        write.session.delete(row)
        tally.absorb(step)
        if row.batch_id is not None:
            _resolve_in_ledger(write.session, write.integration_id, row.batch_id, step, write.now)
    _count(write.session, write.integration_id, tally, write.now)
    return tally


def _apply(
    write: LedgerWrite,
    batch_id: str | None,
    fate: Fate,
    first_failed_at: datetime,
    attempts: int,
    tally: Tally,
) -> None:
    if fate.status == "delivered":
        tally.delivered += 1
    elif fate.status == "skipped":
        tally.skipped += 1
    elif fate.status == "retry" and write.within_window(first_failed_at):
        tally.retried += 1
        tally.last_error = fate.error
        write.session.add(
            DeliveryPending(
                integration_id=write.integration_id,
                batch_id=batch_id,
                message_id=fate.message_id,
                message=fate.message,
                attempts=attempts,
                first_failed_at=first_failed_at,
                next_attempt_at=write.next_attempt(first_failed_at, fate.retry_in),
                last_error=fate.error[:MAX_ERROR_CHARS],
            )
        )
    else:
        expired = fate.status == "retry"
        error = f"retry window expired; last error: {fate.error}" if expired else fate.error
        tally.dead_lettered += 1
        tally.vendor_errors += fate.reason == "vendor_error" and not expired
        tally.last_error = error
        write.session.add(
            DeliveryDeadLetter(
                org_id=write.org_id,
                integration_id=write.integration_id,
                batch_id=batch_id,
                message_id=fate.message_id,
                message=fate.message,
                reason="expired" if expired else (fate.reason or "rejected"),
                error=error[:MAX_ERROR_CHARS],
                attempts=attempts,
                first_failed_at=first_failed_at,
                created_at=write.now,
            )
        )


def _next_attempt(
    now: datetime, first_failed_at: datetime, retry_in: float, window_seconds: float
) -> datetime:
    """The next try, but never later than the end of the retry window (one last try there)."""
    last_chance = first_failed_at + timedelta(seconds=window_seconds)
    return min(now + timedelta(seconds=max(retry_in, 0.0)), last_chance)


def _resolve_in_ledger(
    session: Session, integration_id: str, batch_id: str, step: Tally, now: datetime
) -> None:
    row = session.scalars(
        select(DeliveryLedger).where(
            DeliveryLedger.integration_id == integration_id, DeliveryLedger.batch_id == batch_id
        )
    ).one_or_none()
    if row is None:
        return
    row.pending = max(0, row.pending - 1)
    row.delivered += step.delivered
    row.skipped += step.skipped
    row.dead_lettered += step.dead_lettered
    if row.pending == 0 and row.done_at is None:
        row.done_at = now


def _count(session: Session, integration_id: str, tally: Tally, now: datetime) -> None:
    stats = session.get(DeliveryStats, integration_id)
    if stats is None:
        stats = DeliveryStats(
            integration_id=integration_id,
            delivered=0,
            retried=0,
            dead_lettered=0,
            skipped=0,
            replayed=0,
            vendor_errors=0,
        )
        session.add(stats)
    stats.delivered += tally.delivered
    stats.skipped += tally.skipped
    stats.retried += tally.retried
    stats.dead_lettered += tally.dead_lettered
    stats.vendor_errors += tally.vendor_errors
    if tally.delivered:
        stats.last_delivered_at = now
    if tally.last_error:
        stats.last_error = tally.last_error[:MAX_ERROR_CHARS]
        stats.last_error_at = now


def count_inline_retries(session: Session, integration_id: str, records: int) -> None:
    """Add records retried inside a cycle (they never reached the pending table) to the counters."""
    if records:
        _count(session, integration_id, Tally(retried=records), datetime.now(UTC))

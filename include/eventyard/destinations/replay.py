"""Replay of dead letters after a fix: each one goes back to the pending table, due at once,
with a fresh retry window; the dead letter is kept (marked replayed) as history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventyard.db.models import Integration
from eventyard.destinations.models import DeliveryDeadLetter, DeliveryPending, DeliveryStats
from eventyard.errors import BadInputError


class ReplayError(BadInputError, LookupError):
    """The integration does not exist in this organization."""


def replay_dead_letters(
    session: Session,
    org_id: str,
    integration_id: str,
    *,
    message_ids: Sequence[str] | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Re-queue an integration's open dead letters (optionally only these message ids, or those
    dead-lettered at or after ``since``); returns how many were re-queued. The next delivery
    cycle sends them."""
    now = now or datetime.now(UTC)
    integration = session.get(Integration, integration_id)
    if integration is None or integration.org_id != org_id:
        raise ReplayError(f"integration {integration_id} not found in this organization")
    query = select(DeliveryDeadLetter).where(
        DeliveryDeadLetter.integration_id == integration_id,
        DeliveryDeadLetter.org_id == org_id,
        DeliveryDeadLetter.replayed_at.is_(None),
    )
    if message_ids is not None:
        query = query.where(DeliveryDeadLetter.message_id.in_(list(message_ids)))
    if since is not None:
        query = query.where(DeliveryDeadLetter.created_at >= since)
    letters = list(session.scalars(query.order_by(DeliveryDeadLetter.id).with_for_update()))
    for letter in letters:
        letter.replayed_at = now
        session.add(
            DeliveryPending(
                integration_id=integration_id,
                batch_id=None,  # the batch's ledger row already counted it as dead-lettered
                message_id=letter.message_id,
                message=letter.message,
                attempts=0,
                first_failed_at=now,
                next_attempt_at=now,
                last_error=f"replayed; was: {letter.error}"[:2000],
            )
        )
    if letters:
        stats = session.get(DeliveryStats, integration_id)
        if stats is not None:
            stats.replayed += len(letters)
    return len(letters)

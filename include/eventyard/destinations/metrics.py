"""Per-integration delivery metrics, read from the ledger tables (what Houston shows)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventyard.db.models import Batch, Integration
from eventyard.destinations.models import DeliveryDeadLetter, DeliveryLedger, DeliveryPending, DeliveryStats


def delivery_metrics(
    session: Session, org_id: str, integration_id: str | None = None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Counters, last error, pending events and lag of an organization's integrations.

    ``lag_seconds`` is the age of the oldest landed batch the integration has not finished
    (unread, or waiting for retries); 0 when it is caught up.
    """
    now = now or datetime.now(UTC)
    query = select(Integration).where(Integration.org_id == org_id).order_by(Integration.name, Integration.id)
    if integration_id is not None:
        query = query.where(Integration.id == integration_id)
    metrics = []
    for integration in session.scalars(query):
        stats = session.get(DeliveryStats, integration.id)
        oldest = _oldest_unfinished(session, integration)
        metrics.append(
            {
                "integration_id": integration.id,
                "integration_code": integration.integration_code,
                "name": integration.name,
                "enabled": integration.enabled,
                "delivered": stats.delivered if stats else 0,
                "retried": stats.retried if stats else 0,
                "dead_lettered": stats.dead_lettered if stats else 0,
                "skipped": stats.skipped if stats else 0,
                "replayed": stats.replayed if stats else 0,
                "vendor_errors": stats.vendor_errors if stats else 0,
                "last_error": stats.last_error if stats else None,
                "last_error_at": stats.last_error_at if stats else None,
                "last_delivered_at": stats.last_delivered_at if stats else None,
                "pending": _count(session, DeliveryPending, integration.id),
                "open_dead_letters": _open_dead_letters(session, integration.id),
                "lag_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            }
        )
    return metrics


def _count(session: Session, model: type[DeliveryPending], integration_id: str) -> int:
    query = select(func.count()).select_from(model).where(model.integration_id == integration_id)
    return int(session.scalar(query) or 0)


def _open_dead_letters(session: Session, integration_id: str) -> int:
    query = (
        select(func.count())
        .select_from(DeliveryDeadLetter)
        .where(DeliveryDeadLetter.integration_id == integration_id, DeliveryDeadLetter.replayed_at.is_(None))
    )
    return int(session.scalar(query) or 0)


def _oldest_unfinished(session: Session, integration: Integration) -> datetime | None:
    read = (
        select(DeliveryLedger.id)
        .where(DeliveryLedger.integration_id == integration.id, DeliveryLedger.batch_id == Batch.id)
        .exists()
    )
    unread = session.scalar(
        select(func.min(Batch.created_at)).where(Batch.source_id == integration.app_id, ~read)
    )
    waiting = session.scalar(
        select(func.min(DeliveryLedger.batch_created_at)).where(
            DeliveryLedger.integration_id == integration.id, DeliveryLedger.done_at.is_(None)
        )
    )
    candidates = [_aware(t) for t in (unread, waiting) if t is not None]
    return min(candidates) if candidates else None


def _aware(value: datetime) -> datetime:
    # Aggregates bypass the UtcDateTime type on SQLite (naive or even text), so normalize here.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)

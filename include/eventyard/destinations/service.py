"""What Houston calls: the narrow service over the delivery engine's ledger.

Houston reads delivery metrics and dead letters and replays them only through this module, so
the dependency runs one way (houston -> destinations.service -> ledger tables) and Houston never
queries the engine's tables itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventyard.destinations.metrics import delivery_metrics
from eventyard.destinations.models import DeliveryDeadLetter
from eventyard.destinations.replay import ReplayError, replay_dead_letters

__all__ = ["ReplayError", "dead_letters", "delivery_metrics", "replay_dead_letters"]


def dead_letters(
    session: Session, org_id: str, integration_id: str, *, limit: int, include_replayed: bool
) -> Sequence[DeliveryDeadLetter]:
    """An integration's most recent dead letters, newest first (open ones only unless
    ``include_replayed``); the caller checks the integration belongs to ``org_id``."""
    query = select(DeliveryDeadLetter).where(
        DeliveryDeadLetter.integration_id == integration_id,
        DeliveryDeadLetter.org_id == org_id,
    )
    if not include_replayed:
        query = query.where(DeliveryDeadLetter.replayed_at.is_(None))
    query = query.order_by(DeliveryDeadLetter.created_at.desc(), DeliveryDeadLetter.id.desc()).limit(limit)
    return list(session.scalars(query))

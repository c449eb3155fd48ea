"""Reads of the control DB that more than one component makes."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Integration
from eventyard.settings import Settings


def enabled_integration_ids(settings: Settings, handles: Callable[[str], bool]) -> list[str]:
    """Ids of the enabled integrations whose destination code ``handles`` accepts, oldest first
    (a stable order, so mapped Airflow tasks keep their indexes)."""
    with session_scope(get_engine(settings)) as session:
        rows = session.execute(
            select(Integration.id, Integration.integration_code)
            .where(Integration.enabled.is_(True))
            .order_by(Integration.created_at, Integration.id)
        ).all()
    return [row.id for row in rows if handles(row.integration_code)]

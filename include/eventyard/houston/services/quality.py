"""The latest quality round of each of the header organization's integrations (read-only).

Rounds are recorded by the quality checks (``eventyard.warehouse.quality.latest``); Houston reads them from
the control DB, never from the customer's warehouse.
"""

from __future__ import annotations

from sqlalchemy import select

from eventyard.houston import validation
from eventyard.houston.services.unit import Unit
from eventyard.warehouse.quality.models import QualityRun


def list_quality_results(unit: Unit, integration_id: str | None) -> list[QualityRun]:
    """The organization's latest rounds (optionally one integration's), newest first."""
    org_id = unit.member_org()
    statement = select(QualityRun).where(QualityRun.org_id == org_id)
    if integration_id is not None:
        statement = statement.where(
            QualityRun.integration_id == validation.identifier("integrationId", integration_id)
        )
    return list(unit.session.scalars(statement.order_by(QualityRun.run_at.desc(), QualityRun.integration_id)))

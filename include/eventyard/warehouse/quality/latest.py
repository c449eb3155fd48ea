"""Each integration's latest round in the control DB (``QualityRun``), for Houston."""

from __future__ import annotations

from sqlalchemy import Engine

from eventyard.db.engine import session_scope
from eventyard.warehouse.quality.models import QualityRun
from eventyard.warehouse.quality.results import QualityReport


def remember(engine: Engine, org_id: str, report: QualityReport) -> None:
    """Replace the integration's latest round with this one."""
    results = report.to_dict()["results"]
    with session_scope(engine) as session:
        row = session.get(QualityRun, report.integration_id)
        if row is None:
            row = QualityRun(integration_id=report.integration_id)
            session.add(row)
        row.org_id = org_id
        row.run_id = report.run_id
        row.run_at = report.run_at
        row.schema_name = report.schema
        row.passed = report.passed
        row.failed = len(report.failures)
        row.error = report.error
        row.results = results

"""What the ``quality_checks`` DAG's tasks call (plain functions, testable without Airflow)."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from eventyard.settings import Settings, get_settings
from eventyard.warehouse.cycle import enabled_warehouse_integrations
from eventyard.warehouse.integration import setup_warehouse
from eventyard.warehouse.quality.alerts import QualityCheckFailed
from eventyard.warehouse.quality.results import QualityReport
from eventyard.warehouse.quality.run import QUALITY_CODES, run_round
from eventyard.warehouse.quality.thresholds import Thresholds

log = logging.getLogger("eventyard.warehouse.quality_checks")


def checked_integration_ids(settings: Settings | None = None) -> list[str]:
    """Enabled table-warehouse integrations with quality checks on: one mapped task each."""
    settings = settings or get_settings()
    out = []
    for integration_id in enabled_warehouse_integrations(settings):
        setup = setup_warehouse(settings, integration_id)
        if setup.code in QUALITY_CODES and Thresholds.for_integration(setup.code, setup.config).enabled:
            out.append(integration_id)
    return out


def run_safely(settings: Settings, integration_id: str) -> QualityReport:
    """One round, with an error that stopped it in the report instead of raised (the CLI)."""
    try:
        return run_round(settings, integration_id)
    except Exception as exc:
        log.exception("quality round of %s failed", integration_id)
        return QualityReport(
            integration_id, "", "", "", datetime.now(UTC), error=f"{type(exc).__name__}: {exc}"
        )


def run_quality_task(integration_id: str, context: MutableMapping[str, Any] | None = None) -> dict[str, Any]:
    """The body of a mapped ``check`` task: run, log, label, alert and fail when a check failed."""
    settings = get_settings()
    report = run_round(settings, integration_id)
    for line in report.lines():
        log.info("%s", line)
    if context is not None:
        context["eventyard_label"] = report.label()
    if not report.passed:  # the DAG's failure callback sends the alerts (eventyard.warehouse.quality.alerts)
        raise QualityCheckFailed(report)
    return report.to_dict()

"""What the ``load_warehouses`` DAG's tasks call (plain functions, testable without Airflow)."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from eventyard.errors import TaskFailed
from eventyard.settings import Settings, get_settings
from eventyard.warehouse.cycle import enabled_warehouse_integrations, load_integration_chunks
from eventyard.warehouse.errors import TerminalWarehouseError

log = logging.getLogger("eventyard.load_warehouses")


def warehouse_integration_ids(settings: Settings | None = None) -> list[str]:
    """The enabled warehouse/storage integrations: one mapped load task each."""
    return enabled_warehouse_integrations(settings or get_settings())


def run_load_task(integration_id: str, context: MutableMapping[str, Any] | None = None) -> dict[str, Any]:
    """The body of a mapped ``load`` task: load, log per table, label the task, fail on errors.

    Transient errors fail the task so that Airflow retries it; terminal ones (errors retrying
    cannot fix: see ``eventyard.warehouse.errors``) fail it without retries. Returns the report
    as the task's XCom.
    """
    try:
        report = load_integration_chunks(get_settings(), integration_id)
    except TerminalWarehouseError as exc:  # the integration cannot be loaded as configured
        raise _not_retried(f"{integration_id}: {exc}") from exc
    for line in report.lines():
        log.info("%s", line)
    if context is not None:
        context["eventyard_label"] = report.label()
    if report.errors:
        if report.retriable:
            raise TaskFailed(report.error_summary())  # only the failed tables reload
        raise _not_retried(report.error_summary())
    return report.to_dict()


def _not_retried(message: str) -> Exception:
    """Airflow's exception for "fail now, no retries" (imported here: only a running task needs it)."""
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(f"terminal warehouse error, not retried: {message}")

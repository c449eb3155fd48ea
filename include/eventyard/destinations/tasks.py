"""What the ``deliver_destinations`` DAG's tasks call (plain functions, testable without Airflow)."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import asdict
from typing import Any

from eventyard.destinations.cycle import LEASE_BUSY, deliver_integration, deliverable_integration_ids
from eventyard.errors import TaskFailed
from eventyard.settings import Settings, get_settings


def integration_ids(settings: Settings | None = None) -> list[str]:
    """The integrations to map the delivery task over."""
    return deliverable_integration_ids(settings or get_settings())


def run_delivery_task(integration_id: str, context: MutableMapping[str, Any] | None = None) -> dict[str, Any]:
    """One delivery cycle for one integration; labels the mapped task and returns the report."""
    report = deliver_integration(get_settings(), integration_id)
    label = (
        f"{report.code or integration_id}: {report.delivered} delivered, {report.pending} pending, "
        f"{report.dead_lettered} dead-lettered"
    )
    if context is not None:
        context["eventyard_label"] = label
    print(label)  # the task log
    # The integration could not be delivered at all (bad settings, unreachable control DB, ...):
    # Airflow retries the task. Vendor errors are not this: they become retries and dead letters.
    if report.error and report.error != LEASE_BUSY:
        raise TaskFailed(f"{integration_id}: {report.error}")
    return asdict(report)

"""Data-quality checks on every load: keys, time, freshness, volume, column types, discards and
completeness, run as SQL in each warehouse (docs/quality.md).

Scheduled by the `eventyard-warehouse-loads` asset, which every successful `load_warehouses`
task updates (data-aware scheduling); created unpaused.

One mapped task per enabled table-warehouse integration with `qualityChecks` on. Each writes its
results to the `quality_results` table of the source's schema, logs one line per check, shows the
outcome in its label in the grid view, and fails when a check fails: its failure callback mails
`qualityAlertEmails` (SMTP or the outbox) and posts to `qualityAlertWebhook`.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import dag, get_current_context, task

from eventyard.runtime.schedules import WAREHOUSE_LOADS


def _alert(context: Any) -> None:
    """Failure callback: mail and post the failed round (imported here: only a failure needs it)."""
    from eventyard.warehouse.quality.alerts import on_task_failure

    on_task_failure(context)


@dag(
    dag_id="quality_checks",
    schedule=[WAREHOUSE_LOADS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["eventyard", "warehouse", "quality"],
)
def quality_checks() -> None:
    """Map one check task over the integrations with quality checks on."""

    @task
    def checked_integrations() -> list[str]:
        from eventyard.warehouse.quality.tasks import checked_integration_ids

        return checked_integration_ids()

    # No retries: a failed check is a finding, not a glitch; the callback alerts once.
    @task(map_index_template="{{ eventyard_label }}", retries=0, on_failure_callback=_alert)
    def check(integration_id: str) -> dict[str, Any]:
        from eventyard.warehouse.quality.tasks import run_quality_task

        return run_quality_task(integration_id, get_current_context())

    check.expand(integration_id=checked_integrations())


quality_checks()

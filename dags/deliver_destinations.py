"""Deliver new landed events to every enabled API and stream destination.

Runs as soon as new batches land (the `eventyard-landed-batches` asset, watched in the
triggerer), and every 10 minutes as a safety net, which also picks up retries that came due;
created unpaused.

One mapped task per enabled integration (Webhooks, Amplitude, Mixpanel, GA4, Kinesis, ...).
Each task runs one delivery cycle of that integration: it retries the events whose retry is due,
then reads the landed batches the integration has not read yet (its own ledger in the control
DB), sends them in vendor batches with bounded concurrency, and records every event's fate:
delivered, skipped, waiting for a retry, or dead-lettered with the vendor's error. A batch is
marked done only once every event is delivered, skipped or dead-lettered, and a batch with a
ledger row is never read again, so re-running a run never re-sends an acknowledged batch.

`eventyard deliver --once` runs the same cycle without Airflow. Per-integration metrics and
dead-letter replay are in Houston.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, get_current_context, task

from eventyard.runtime.schedules import when_batches_land


@dag(
    dag_id="deliver_destinations",
    schedule=when_batches_land(),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["eventyard", "destinations"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True},
)
def deliver_destinations() -> None:
    """Map one delivery task over the enabled API/stream integrations."""

    @task
    def deliverable_integrations() -> list[str]:
        from eventyard.destinations.tasks import integration_ids

        return integration_ids()

    @task(map_index_template="{{ eventyard_label }}", execution_timeout=timedelta(minutes=14))
    def deliver(integration_id: str) -> dict[str, Any]:
        from eventyard.destinations.tasks import run_delivery_task

        return run_delivery_task(integration_id, get_current_context())

    deliver.expand(integration_id=deliverable_integrations())


deliver_destinations()

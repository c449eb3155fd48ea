"""Load new landed batches into every enabled warehouse, in Segment's table layout.

Runs as soon as new batches land (the `eventyard-landed-batches` asset, watched in the
triggerer), and every 10 minutes as a safety net; created unpaused.

One mapped task per enabled warehouse/storage integration (DuckDB, Postgres, Redshift, BigQuery,
S3 event logs). Each loads its source's new batches in bounded chunks; the ledger in the control
DB makes loads incremental and idempotent, so a retry reloads only the tables that failed.

Each successful load updates the `eventyard-warehouse-loads` asset, which runs `quality_checks`.

What each task did is in its log (one line per table: rows loaded and discarded), in its XCom
return value (the same figures as JSON), and in its label in the grid view.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, get_current_context, task

from eventyard.runtime.schedules import WAREHOUSE_LOADS, when_batches_land


@dag(
    dag_id="load_warehouses",
    schedule=when_batches_land(),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["eventyard", "warehouse"],
    default_args={"retries": 3, "retry_delay": timedelta(seconds=20), "retry_exponential_backoff": True},
)
def load_warehouses() -> None:
    """Map one load task over the enabled warehouse integrations."""

    @task
    def enabled_integrations() -> list[str]:
        from eventyard.settings import get_settings
        from eventyard.warehouse.tasks import warehouse_integration_ids

        return warehouse_integration_ids(get_settings())

    # Each successful load updates WAREHOUSE_LOADS, which schedules the quality_checks DAG.
    @task(
        map_index_template="{{ eventyard_label }}",
        execution_timeout=timedelta(minutes=30),
        outlets=[WAREHOUSE_LOADS],
    )
    def load(integration_id: str) -> dict[str, Any]:
        from eventyard.warehouse.tasks import run_load_task

        return run_load_task(integration_id, get_current_context())

    load.expand(integration_id=enabled_integrations())


load_warehouses()

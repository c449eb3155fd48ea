"""Merge a Segment warehouse schema into Eventyard's, table by table (switching from Segment).

Triggered by hand with params: ``integration`` (the warehouse integration id), ``segment_schema``
(Segment's schema or dataset in that warehouse), and optionally ``schema`` (ours; default the
integration's), ``cutover`` (ISO 8601; default an earlier run's, else the first event Eventyard
received) and ``chunk_rows``.

``plan`` audits both schemas (columns side by side, a decision per difference; see its log) and
fixes the cutover; one mapped ``merge_table`` task per table then merges in chunks of
``received_at``, each committed with its ledger row, so a retry or a re-run resumes after the last
committed chunk and never doubles a row. Each task logs rows done / total, labels itself with its
reconciliation (merged / already present / after the cutover) and fails when it does not add up.
The same code runs as ``eventyard merge --plan|--run``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task


@dag(
    dag_id="segment_merge",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["eventyard", "warehouse", "segment"],
    params={
        "integration": Param("", type="string", description="Warehouse integration id"),
        "segment_schema": Param("", type="string", description="Segment's schema / dataset"),
        "schema": Param("", type="string", description="Eventyard's schema (default: the integration's)"),
        "cutover": Param("", type="string", description="ISO 8601; default: first Eventyard event"),
        "chunk_rows": Param(250_000, type="integer", minimum=1, description="Rows per committed chunk"),
    },
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
)
def segment_merge() -> None:
    """Plan once, then one mapped merge task per table."""

    @task
    def plan() -> list[dict[str, Any]]:
        from eventyard.migration.tasks import plan_task

        return plan_task(get_current_context())

    @task(map_index_template="{{ eventyard_label }}", execution_timeout=timedelta(hours=12))
    def merge_table(item: dict[str, Any]) -> dict[str, Any]:
        from eventyard.migration.tasks import merge_table_task

        return merge_table_task(item, get_current_context())

    merge_table.expand(item=plan())


segment_merge()

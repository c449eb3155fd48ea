"""A/A comparison of Segment's warehouse tables with ours (the same code as `eventyard compare`).

Trigger it by hand with params: `integration`, `segment_schema` (Segment's schema or dataset in
the same warehouse), optionally `schema` (ours; default the integration's), `since` and `until`
(ISO-8601, received_at window) and the thresholds `max_count_diff` (default 0.01),
`max_id_diff`, `max_fill_diff`, `min_hour_rows`. Daily, it compares the previous UTC day
(midnight to midnight) for every enabled warehouse integration whose config has
`segmentSchema` (nothing to do otherwise).

Per table, event and hour it reads aggregates from the warehouse (row counts, distinct ids,
fill rates, percentiles of timestamp - received_at, top page paths and events): message ids
differ between the two pipelines, so matching is by aggregates. Each mapped task writes an HTML
report with charts under `$EVENTYARD_HOME/reports/compare/`, logs one line per table and
flag, and labels itself with the verdict ("2 of 8 tables differ: order_completed, tracks").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task


@dag(
    dag_id="segment_compare",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=2,
    doc_md=__doc__,
    tags=["eventyard", "segment"],
    params={
        "integration": Param("", type="string", description="Warehouse integration id (empty: daily mode)."),
        "segment_schema": Param("", type="string", description="Segment's schema (dataset)."),
        "schema": Param("", type="string", description="Our schema (empty: the integration's)."),
        "since": Param("", type="string", description="received_at >= (ISO-8601; empty: the data interval)."),
        "until": Param("", type="string", description="received_at < (ISO-8601)."),
        "max_count_diff": Param(0.01, type="number", minimum=0, maximum=1),
        "max_id_diff": Param(0.01, type="number", minimum=0, maximum=1),
        "max_fill_diff": Param(0.05, type="number", minimum=0, maximum=1),
        "min_hour_rows": Param(1, type="integer", minimum=1),
    },
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
)
def segment_compare() -> None:
    """Map one compare task over the comparisons of this run."""

    @task
    def targets() -> list[dict[str, Any]]:
        from eventyard.compare.tasks import compare_targets

        context = get_current_context()
        return compare_targets(
            context["params"], context.get("data_interval_start"), context.get("data_interval_end")
        )

    @task(map_index_template="{{ eventyard_label }}", execution_timeout=timedelta(hours=2))
    def compare(target: dict[str, Any]) -> dict[str, Any]:
        from eventyard.compare.tasks import run_compare_task

        context = get_current_context()
        return run_compare_task(target, context["params"], context)

    compare.expand(target=targets())


segment_compare()

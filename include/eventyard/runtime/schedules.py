"""When the load and delivery DAGs run: as soon as batches land, with a slow cron as a net.

``LANDED_BATCHES`` is an Airflow asset watched by ``LandedBatchesTrigger`` in the triggerer
(event-driven scheduling); each asset event queues one run of every DAG scheduled on it, and
events that arrive while a run is going collapse into the next run. The cron part runs the DAGs
every ``SAFETY_NET_CRON`` even if no event came (a triggerer that was down, retries that are due
in the delivery ledger). Decision: docs/decisions/0015-dags-run-when-batches-land.md.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetOrTimeSchedule, AssetWatcher, CronTriggerTimetable

from eventyard.runtime.landed_trigger import LandedBatchesTrigger

LANDED_BATCHES_NAME = "eventyard-landed-batches"
SAFETY_NET_CRON = "*/10 * * * *"
POLL_SECONDS = 2.0

LANDED_BATCHES = Asset(
    name=LANDED_BATCHES_NAME,
    uri="eventyard://landing/manifest",
    watchers=[AssetWatcher(name="landing-manifest", trigger=LandedBatchesTrigger(poll_seconds=POLL_SECONDS))],
)


# Updated by every successful load task of ``load_warehouses`` (its outlet): what the
# ``quality_checks`` DAG is scheduled on (data-aware scheduling, no watcher needed).
WAREHOUSE_LOADS_NAME = "eventyard-warehouse-loads"
WAREHOUSE_LOADS = Asset(name=WAREHOUSE_LOADS_NAME, uri="eventyard://warehouse/loads")


def when_batches_land() -> AssetOrTimeSchedule:
    """The schedule of the DAGs that consume landed batches (load, deliver)."""
    return AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(SAFETY_NET_CRON, timezone="UTC"), assets=[LANDED_BATCHES]
    )

"""Where the default cutover comes from: the landing manifest, else our tables, and a re-run keeps it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch
from eventyard.migration.service import plan_merge, run_merge
from tests.migration.conftest import SEGMENT_SCHEMA, Switch

pytestmark = pytest.mark.parametrize("switch", ["duckdb"], indirect=True)


def test_the_first_landed_event_is_the_default_cutover(switch: Switch) -> None:
    first = datetime(2023, 12, 3, 12, tzinfo=UTC)  # the collector landed its first batch then
    with session_scope(get_engine(switch.settings)) as session:
        session.execute(update(Batch).values(min_received_at=first))
    plan = plan_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA)
    assert plan.cutover == first and plan.cutover_source == "the first event Eventyard landed"
    assert (
        plan.table("order_completed").after_cutover == 2
    )  # shared-1 (Dec 4) and s6; s3 (Dec 3, 10:00) is before


def test_without_a_manifest_time_our_first_row_is_the_cutover_and_a_rerun_keeps_it(switch: Switch) -> None:
    plan = plan_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA)
    assert plan.cutover == datetime(2024, 1, 1, tzinfo=UTC)
    assert plan.cutover_source == "the first event Eventyard received"
    run_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA)
    # Our first row is now Segment's oldest; the ledger keeps the cutover the merge used.
    again = plan_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA)
    assert again.cutover == datetime(2024, 1, 1, tzinfo=UTC)
    assert again.cutover_source == "the cutover of the earlier run"

"""The Segment merge on BigQuery's emulator (decision 0009): Segment's BigQuery shapes (``STRING``,
``TIMESTAMP``, ``loaded_at``) beside our tables loaded by our own loader."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from eventyard.migration.ops import ops_for
from eventyard.migration.ops_bigquery import BigQueryOps
from eventyard.migration.plan import build_plan
from eventyard.migration.service import merge_planned
from eventyard.settings import Settings
from eventyard.warehouse.dialects.bigquery import BigQueryDialect
from tests.migration.conftest import SEGMENT_SCHEMA, our_events
from tests.migration.segment_tables import SegmentSide

CUTOVER = datetime(2024, 1, 1, tzinfo=UTC)
OURS = "shop"


@pytest.fixture
def bigquery(bigquery_endpoint: str, tmp_path: Path) -> Iterator[BigQueryDialect]:
    from eventyard.warehouse.loader import load_tables
    from eventyard.warehouse.schema_map import map_batch
    from tests.warehouse.ext.bq_emulator import PROJECT

    dialect = BigQueryDialect({"project": PROJECT, "apiEndpoint": bigquery_endpoint}, Settings(home=tmp_path))
    with dialect:
        results = load_tables(
            dialect, OURS, map_batch(our_events(), dialect), datetime(2024, 6, 1, tzinfo=UTC)
        )
        assert not any(r.error for r in results.values())
        dialect.ensure_schema(SEGMENT_SCHEMA)
        dialect.run(SegmentSide("bigquery", dialect.quote, dialect.qualified).statements(SEGMENT_SCHEMA))
        yield dialect
        for schema in (OURS, SEGMENT_SCHEMA):
            dialect.client.delete_dataset(f"{PROJECT}.{schema}", delete_contents=True, not_found_ok=True)


def _ids(dialect: BigQueryDialect, table: str) -> list[str]:
    return sorted(r["id"] for r in dialect.query(f"SELECT `id` FROM {dialect.qualified(OURS, table)}"))


def test_bigquery_plan_and_merge_reconcile_and_rerun_adds_nothing(bigquery: BigQueryDialect) -> None:
    ops = ops_for(bigquery)
    assert isinstance(ops, BigQueryOps)
    plan = build_plan(ops, SEGMENT_SCHEMA, OURS, None)
    assert plan.cutover == CUTOVER
    orders = {d.name: d.action for d in plan.table("order_completed").decisions}
    assert orders["quantity"] == "widen"  # INT64 -> FLOAT64 in place
    assert orders["revenue"] == "discard"  # nothing widens to STRING in place
    assert orders["coupon"] == "cast" and orders["gift"] == "discard" and orders["legacy_sku"] == "add"
    assert orders["loaded_at"] == "keep"
    outcome = merge_planned(ops, plan, chunk_rows=2)
    assert outcome.ok, [r.line() for r in outcome.results]
    result = {r.table: r for r in outcome.results}["order_completed"]
    assert (result.merged, result.present, result.after_cutover) == (3, 1, 1)
    assert _ids(bigquery, "order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]
    assert _ids(bigquery, "legacy_event") == ["s4"]
    users = {u["id"]: u for u in bigquery.query(f"SELECT * FROM {bigquery.qualified(OURS, 'users')}")}
    assert users["u1"]["email"] == "new@example.com" and users["u1"]["plan"] == "pro"
    again = merge_planned(ops, build_plan(ops, SEGMENT_SCHEMA, OURS, CUTOVER), chunk_rows=2)
    assert again.ok and all(r.chunks_run == 0 for r in again.results)
    assert _ids(bigquery, "order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]


def test_a_killed_bigquery_merge_resumes(bigquery: BigQueryDialect) -> None:
    ops = ops_for(bigquery)
    plan = build_plan(ops, SEGMENT_SCHEMA, OURS, None)

    def kill(table: str, done: int, total: int) -> Any:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        merge_planned(ops, plan, tables=["tracks"], chunk_rows=2, progress=kill)
    resumed = merge_planned(
        ops, build_plan(ops, SEGMENT_SCHEMA, OURS, CUTOVER), tables=["tracks"], chunk_rows=2
    )
    tracks = resumed.results[0]
    assert tracks.ok and tracks.chunks_before == 1 and (tracks.merged, tracks.present) == (4, 1)

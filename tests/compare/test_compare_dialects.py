"""The A/A comparison on every warehouse dialect, with Segment-shaped tables on Segment's side.

The fixture is three hours of a small site seen by both pipelines (tests/compare/aa_fixture.py):
Segment's tables in Segment's DDL shape, ours loaded by our loader. With nothing dropped every
table matches; when Segment lost one event for one hour, exactly that event's table and hour
(and that event's rows of ``tracks`` in that hour) are flagged.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventyard.compare.compare import CompareError, compare_schemas
from eventyard.compare.model import CompareReport, Thresholds
from eventyard.compare.queries import Window
from tests.compare.aa_fixture import DROPPED_HOUR, DROPPED_TABLE, START, UNTIL, calls, load_ours, load_segment
from tests.compare.conftest import Warehouse

pytestmark = pytest.mark.postgres
TABLES = ["aliases", "groups", "identifies", "order_completed", "pages", "product_viewed", "tracks", "users"]


def _compare(wh: Warehouse, drop: bool, thresholds: Thresholds | None = None) -> CompareReport:
    load_segment(wh.dialect, wh.segment_schema, wh.shape, drop=drop)
    wh.dialect.ensure_schema(wh.schema)
    load_ours(wh.dialect, wh.schema, calls())
    window = Window(START, UNTIL)
    return compare_schemas(
        wh.dialect, "int-1", wh.segment_schema, wh.schema, window, thresholds or Thresholds()
    )


def test_one_event_dropped_for_an_hour_flags_exactly_that_table_and_hour(warehouse: Warehouse) -> None:
    report = _compare(warehouse, drop=True)

    verdicts = {t.table: t.verdict for t in report.tables}
    assert sorted(verdicts) == TABLES
    assert {t for t, v in verdicts.items() if v != "match"} == {DROPPED_TABLE, "tracks"}
    hour_flags = {(f.table, f.event, f.hour) for f in report.flags if f.hour is not None}
    assert hour_flags == {(DROPPED_TABLE, None, DROPPED_HOUR), ("tracks", DROPPED_TABLE, DROPPED_HOUR)}
    assert not report.ok

    dropped = next(t for t in report.tables if t.table == DROPPED_TABLE)
    assert (dropped.segment.rows, dropped.eventyard.rows) == (6, 9)
    by_hour = {h.hour: h for h in dropped.hours}
    assert (by_hour[DROPPED_HOUR].segment.rows, by_hour[DROPPED_HOUR].eventyard.rows) == (0, 3)
    assert [h.hour for h in dropped.hours if h.flagged] == [DROPPED_HOUR]
    assert by_hour[START].ratio == 1.0
    tracks = next(t for t in report.tables if t.table == "tracks")
    assert [h.hour for h in tracks.hours if h.flagged] == [DROPPED_HOUR]
    assert {(r.value, r.segment, r.eventyard) for r in tracks.top[:1]} == {(DROPPED_TABLE, 6, 9)}

    # The thresholds are the user's: tolerating the loss and judging only busy hours, the same
    # figures match...
    d, segment, ours = warehouse.dialect, warehouse.segment_schema, warehouse.schema
    lenient = Thresholds(counts=0.5, ids=0.5, min_hour_rows=4)
    assert compare_schemas(d, "int-1", segment, ours, Window(START, UNTIL), lenient).ok
    # ...and an hour outside the window is not counted at all.
    later = Window(DROPPED_HOUR + timedelta(hours=1), UNTIL)
    narrow = compare_schemas(d, "int-1", segment, ours, later, Thresholds())
    assert narrow.ok and {t.table: t.segment.rows for t in narrow.tables}["tracks"] == 6
    with pytest.raises(CompareError, match="no event tables"):
        compare_schemas(d, "int-1", "no_such_schema", ours, later, Thresholds())


def test_the_same_calls_on_both_sides_match_everywhere(warehouse: Warehouse) -> None:
    report = _compare(warehouse, drop=False)

    assert report.ok, report.flags
    assert {t.verdict for t in report.tables} == {"match"}
    assert "not by id" in report.to_dict()["matching"]
    pages = next(t for t in report.tables if t.table == "pages")
    # Columns on one side only are reported (Segment kept a campaign; our pages have a category).
    assert "context_campaign_name" in pages.segment_only_columns
    assert "context_campaign_name" not in pages.eventyard_only_columns
    assert pages.top_column == "path" and sorted((r.value, r.segment, r.eventyard) for r in pages.top) == [
        ("/", 3, 3), ("/checkout", 3, 3), ("/pricing", 3, 3)
    ]  # fmt: skip
    fill = {f.column: f for f in pages.fill}
    assert (fill["path"].segment, fill["path"].eventyard) == (1.0, 1.0)
    assert (fill["context_campaign_name"].segment, fill["context_campaign_name"].eventyard) == (1.0, None)
    # A type conflict (total: text on Segment's side, a number on ours) still compares by fill.
    orders = next(t for t in report.tables if t.table == DROPPED_TABLE)
    assert {f.column: (f.segment, f.eventyard) for f in orders.fill}["total"] == (1.0, 1.0)
    assert orders.type_conflicts == (("total", "text", "double"),)
    # timestamp - received_at: Segment received every call 250 ms after it was made, we 120 ms.
    assert orders.lag_segment is not None and orders.lag_eventyard is not None
    assert orders.lag_segment.p50 == pytest.approx(-0.25, abs=0.002)
    assert orders.lag_eventyard.p50 == pytest.approx(-0.12, abs=0.002)
    assert orders.lag_segment.rows == 9

"""The Segment merge on DuckDB and real Postgres: audit, plan, run, resume, reconcile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eventyard.migration.service import plan_merge, run_merge
from tests.migration.conftest import SEGMENT_SCHEMA, Switch

CUTOVER = datetime(2024, 1, 1, tzinfo=UTC)


def _actions(switch: Switch, table: str) -> dict[str, str]:
    plan = plan_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA)
    return {d.name: d.action for d in plan.table(table).decisions}


def test_the_plan_sets_columns_side_by_side_and_decides_each_difference(switch: Switch) -> None:
    plan = plan_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA)
    assert plan.cutover == CUTOVER  # the first event Eventyard received
    orders = plan.table("order_completed")
    actions = {d.name: d.action for d in orders.decisions}
    assert actions["revenue"] == "widen"  # a string there, a number here: ours becomes text
    assert actions["quantity"] == "widen"  # a float there, an integer here: ours becomes float
    assert actions["coupon"] == "cast"  # a number there, a string here: cast to text
    assert actions["gift"] == "discard"  # 0/1 into a boolean: no safe rule
    assert actions["legacy_sku"] == "add"
    assert actions["promo_code"] == "ours_only"
    assert actions["id"] == "keep"
    # Positions differ (Segment: id, received_at, uuid_ts first) and both are shown.
    positions = {
        d.name: (d.segment.position if d.segment else None, d.ours.position if d.ours else None)
        for d in orders.decisions
    }
    print(positions)
    assert positions["uuid_ts"][0] == 3 and positions["uuid_ts"][1] != 3
    assert any(seg != ours for seg, ours in positions.values() if seg and ours)
    assert (orders.segment_rows, orders.after_cutover, orders.to_merge) == (5, 1, 4)
    assert plan.table("legacy_event").create and plan.table("legacy_event").kind == "events"
    assert plan.table("users").kind == "users" and plan.table("users").after_cutover == 0
    text = "\n".join(plan.lines())
    assert "left out by the cutover 1" in text and "gift" in text


def test_the_merge_reconciles_and_a_rerun_adds_nothing(switch: Switch) -> None:
    outcome = run_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA, chunk_rows=2)
    assert outcome.ok, [r.line() for r in outcome.results]
    by_table = {r.table: r for r in outcome.results}
    orders = by_table["order_completed"]
    assert (orders.segment_rows, orders.merged, orders.present, orders.after_cutover) == (5, 3, 1, 1)
    assert orders.chunks_run >= 2  # chunked by received_at
    tracks = by_table["tracks"]
    assert (tracks.merged, tracks.present, tracks.after_cutover) == (4, 1, 1)
    ours = switch.wh.schema
    assert switch.ids("order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]
    # Converted values: revenue text now, quantity a float, coupon text; gift discarded with a reason.
    s1 = switch.query(f'SELECT * FROM "{ours}"."order_completed" WHERE "id" = \'s1\'')[0]
    assert (s1["revenue"], s1["quantity"], s1["coupon"], s1["gift"], s1["legacy_sku"]) == (
        "12.50",
        2.0,
        "10",
        None,
        "A-1",
    )
    assert orders.discarded == 2  # s1 and s2 had a gift value (s3's was NULL)
    discards = switch.query(
        f'SELECT "row_id", "column_value", "reason" FROM "{ours}"."discards" ORDER BY "row_id"'
    )
    assert [(d["row_id"], d["column_value"]) for d in discards] == [("s1", "1"), ("s2", "0")]
    assert all("no safe rule" in d["reason"] for d in discards)
    # The row both sides have keeps our values.
    shared = switch.query(f'SELECT "coupon" FROM "{ours}"."order_completed" WHERE "id" = \'shared-1\'')[0]
    assert shared["coupon"] == "SAVE"
    assert switch.ids("legacy_event") == ["s4"]  # a table only Segment had
    # users: merged by id, the latest non-null trait wins on each column.
    users = {u["id"]: u for u in switch.query(f'SELECT * FROM "{ours}"."users"')}
    assert users["u1"]["email"] == "new@example.com" and users["u1"]["plan"] == "pro"
    assert users["u1"]["name"] == "Ann"
    assert users["u2"]["plan"] == "free"

    before = {t: switch.ids(t) for t in ("tracks", "order_completed", "users", "pages", "identifies")}
    again = run_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA, chunk_rows=2)
    assert again.ok and again.plan.cutover == CUTOVER  # the earlier run's cutover, kept
    assert all(r.chunks_run == 0 for r in again.results)
    assert {t: switch.ids(t) for t in before} == before
    assert switch.count(ours, "discards") == 2


def test_a_merge_killed_mid_table_resumes_from_its_last_committed_chunk(switch: Switch) -> None:
    class Killed(Exception):
        pass

    seen: list[tuple[str, int]] = []

    def kill_after_first_chunk(table: str, done: int, total: int) -> None:
        seen.append((table, done))
        if table == "order_completed" and done > 0:
            raise Killed

    with pytest.raises(Killed):
        run_merge(
            switch.settings, switch.integration_id, SEGMENT_SCHEMA, tables=["order_completed"],
            chunk_rows=1, progress=kill_after_first_chunk,
        )  # fmt: skip
    assert switch.ids("order_completed") == ["e-2", "s1", "shared-1"]
    resumed = run_merge(
        switch.settings, switch.integration_id, SEGMENT_SCHEMA, tables=["order_completed"], chunk_rows=1
    )
    result = resumed.results[0]
    assert result.ok and result.chunks_before == 1 and result.chunks_run == 3
    assert (result.merged, result.present, result.after_cutover) == (3, 1, 1)
    assert switch.ids("order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]


def test_an_explicit_cutover_moves_rows_in_or_out(switch: Switch) -> None:
    plan = plan_merge(switch.settings, switch.integration_id, SEGMENT_SCHEMA, cutover="2023-12-03T00:00:00Z")
    assert plan.cutover_source == "--cutover"
    assert plan.table("order_completed").after_cutover == 3  # s3, shared-1, s6


def test_a_chunk_killed_before_its_commit_leaves_nothing_behind(
    switch: Switch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventyard.migration import ops as ops_module

    class Killed(Exception):
        pass

    ledger_rows = []
    real = {cls: cls.execute for cls in (ops_module.MergeOps, ops_module.DuckDBOps)}

    def dying(self: ops_module.MergeOps, sql: str, params: tuple[object, ...] = ()) -> int:
        if "_eventyard_segment_merge" in sql and sql.lstrip().startswith("INSERT"):
            ledger_rows.append(params)
            if len(ledger_rows) == 2:  # the second chunk's rows are in, its ledger row is not
                raise Killed
        return real[type(self) if type(self) in real else ops_module.MergeOps](self, sql, params)

    for cls in real:
        monkeypatch.setattr(cls, "execute", dying)
    with pytest.raises(Killed):
        run_merge(
            switch.settings, switch.integration_id, SEGMENT_SCHEMA, tables=["order_completed"], chunk_rows=1
        )
    # The first chunk (s1) committed; the second (s2, with its discard) rolled back whole.
    assert switch.ids("order_completed") == ["e-2", "s1", "shared-1"]
    assert switch.count(switch.wh.schema, "discards") == 1
    monkeypatch.undo()
    resumed = run_merge(
        switch.settings, switch.integration_id, SEGMENT_SCHEMA, tables=["order_completed"], chunk_rows=1
    ).results[0]
    assert resumed.ok and resumed.chunks_before == 1
    assert (resumed.merged, resumed.present, resumed.discarded) == (3, 1, 2)
    assert switch.ids("order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]

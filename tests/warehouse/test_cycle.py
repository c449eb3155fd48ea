"""The load cycle: ledger, chunking, partial-failure retry, idempotent re-runs, config, CLI."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Integration
from eventyard.warehouse import loader
from eventyard.warehouse.cycle import enabled_warehouse_integrations, load_integration_chunks, load_once
from eventyard.warehouse.errors import TERMINAL_ATTEMPTS, TransientWarehouseError
from eventyard.warehouse.models import FAILED, LOADED, PARKED, WarehouseLoad
from eventyard.warehouse.report import TableFigures
from tests.warehouse.conftest import Warehouse
from tests.warehouse.factories import make_integration, message


def _every_kind(tag: str) -> list[dict[str, Any]]:
    return [
        message("track", event="Order Completed", userId="u1", messageId=f"{tag}-t", properties={"total": 3}),
        message("identify", userId="u1", messageId=f"{tag}-i", traits={"plan": tag}),
        message("page", anonymousId="a", messageId=f"{tag}-p", name="Home", properties={"path": "/"}),
        message("screen", userId="u1", messageId=f"{tag}-s", name="Main"),
        message("group", userId="u1", messageId=f"{tag}-g", groupId="g1", traits={"size": 3}),
        message("alias", userId="u2", messageId=f"{tag}-a", previousId="a"),
        message("track", event="Bad Value", userId="u1", messageId=f"{tag}-b", properties={"n": 1}),
    ]


def _ledger(warehouse: Warehouse) -> list[tuple[str, str, str, int]]:
    with session_scope(get_engine(warehouse.settings)) as session:
        rows = session.execute(
            select(
                WarehouseLoad.batch_id, WarehouseLoad.table_name, WarehouseLoad.status, WarehouseLoad.attempts
            )
        ).all()
    return sorted((r[0], r[1], r[2], r[3]) for r in rows)


def test_each_load_picks_up_exactly_the_new_batches(warehouse: Warehouse) -> None:
    first = warehouse.land(_every_kind("one"))
    report = warehouse.load()
    assert (report.batches, report.batches_completed, report.remaining) == (1, 1, 0)
    assert report.tables["tracks"] == TableFigures(2, 0)
    assert warehouse.load().batches == 0
    second = warehouse.land(_every_kind("two"))
    report = warehouse.load()
    assert report.batches == 1 and report.tables["identifies"].rows_loaded == 1
    assert {b for b, t, s, _ in _ledger(warehouse) if t == "*" and s == LOADED} == {first, second}
    tables = {"tracks", "order_completed", "bad_value", "identifies", "users", "pages", "screens", "groups"}
    assert {t for b, t, _, _ in _ledger(warehouse) if b == first} == tables | {"*", "aliases"}
    assert len(warehouse.rows("tracks")) == 4


def test_chunks_are_bounded(warehouse: Warehouse) -> None:
    for i in range(3):
        warehouse.land([message("track", event="E", userId="u", messageId=f"c{i}")])
    report = warehouse.load(max_batches=2)
    assert (report.batches, report.remaining) == (2, 1)
    assert warehouse.load(max_batches=2).batches == 1
    assert len(warehouse.rows("e")) == 3


def test_failed_table_is_retried_alone(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real warehouse error: the table exists with a constraint every row violates.
    with warehouse.dialect() as d:
        d.ensure_schema(warehouse.schema)
        d.run([f'CREATE TABLE "{warehouse.schema}"."bad_value" ("id" VARCHAR, CHECK (length("id") < 0))'])
    batch = warehouse.land(_every_kind("one"))
    report = warehouse.load()
    assert set(report.errors) == {"bad_value"}
    assert report.batches_completed == 0 and "tracks" in report.tables
    assert len(warehouse.rows("tracks")) == 2 and warehouse.rows("bad_value") == []
    assert (batch, "bad_value", FAILED, 1) in _ledger(warehouse)

    with warehouse.dialect() as d:
        d.run([f'DROP TABLE "{warehouse.schema}"."bad_value"'])
    loaded: list[str] = []
    real_load_table = loader.load_table

    def spy(dialect: Any, schema: str, rows: Any, loaded_at: Any) -> Any:
        loaded.append(rows.name)
        return real_load_table(dialect, schema, rows, loaded_at)

    monkeypatch.setattr(loader, "load_table", spy)
    report = warehouse.load()
    assert report.errors == {} and report.batches_completed == 1
    assert loaded == ["bad_value"]  # the tables that succeeded are not loaded again
    assert [r["id"] for r in warehouse.rows("bad_value")] == ["one-b"]
    assert (batch, "bad_value", LOADED, 2) in _ledger(warehouse)
    assert warehouse.load().batches == 0


def test_reloading_the_same_batches_leaves_identical_tables(warehouse: Warehouse) -> None:
    warehouse.land(_every_kind("one"))
    warehouse.land(_every_kind("one") + _every_kind("two"))  # duplicates across and within batches
    warehouse.load()
    warehouse.land(
        [message("track", event="Bad Value", userId="u1", messageId="late", properties={"n": "x"})]
    )
    warehouse.load()
    before = warehouse.snapshot()
    assert len(warehouse.rows("tracks")) == 5 and len(warehouse.rows("users")) == 1
    # Forget the ledger: every batch is loaded again, and nothing changes.
    with session_scope(get_engine(warehouse.settings)) as session:
        session.execute(delete(WarehouseLoad))
    assert warehouse.load().batches == 3
    assert warehouse.snapshot() == before
    assert warehouse.load().batches == 0
    assert warehouse.snapshot() == before


def test_types_widen_but_never_narrow_across_loads(warehouse: Warehouse) -> None:
    warehouse.land(
        [message("track", event="T", userId="u", messageId="w1", properties={"d": 1.5, "s": "x", "i": 1})]
    )
    warehouse.load()
    warehouse.land(
        [message("track", event="T", userId="u", messageId="w2", properties={"d": 2, "s": 7, "i": 2.5})]
    )
    assert warehouse.load().tables["t"] == TableFigures(1, 1)
    assert warehouse.columns("t") is not None
    rows = warehouse.rows("t")
    assert [(r["d"], r["s"], r["i"]) for r in rows] == [(1.5, "x", 1), (2.0, "7", None)]
    [discard] = warehouse.rows("discards", order="row_id")
    assert (discard["row_id"], discard["column_name"], discard["column_value"]) == ("w2", "i", "2.5")


def test_config_namespace_and_skipped_tables(warehouse: Warehouse) -> None:
    other = Warehouse(warehouse.code, warehouse.details, warehouse.settings, schema="custom_ns")
    other.setup(source_name="Other App", config={"namespace": "Custom NS", "skipTracksTable": True,
                                                 "skipUsersTable": True})  # fmt: skip
    other.land([message("track", event="E", userId="u"), message("identify", userId="u", traits={"a": 1})])
    report = other.load()
    assert report.schema == "custom_ns" and report.errors == {}
    assert other.tables() == {"e", "identifies"}


def test_enabled_warehouse_integrations_and_load_once(warehouse: Warehouse) -> None:
    settings = warehouse.settings
    disabled = make_integration(settings, warehouse.code, warehouse.details, source_name="Off")[1]
    not_a_warehouse = make_integration(settings, "amplitude", {"apiKey": "k"}, source_name="Amp")[1]
    with session_scope(get_engine(settings)) as session:
        session.get(Integration, disabled).enabled = False  # type: ignore[union-attr]
    assert enabled_warehouse_integrations(settings) == [warehouse.integration_id]
    assert not_a_warehouse not in enabled_warehouse_integrations(settings)
    warehouse.land([message("track", event="E", userId="u")])
    [report] = load_once(settings)
    assert report.integration_id == warehouse.integration_id and report.batches == 1


@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_cli_load_once(warehouse: Warehouse) -> None:
    warehouse.land([message("track", event="E", userId="u")])
    result = CliRunner().invoke(app, ["load", "--once"])
    assert result.exit_code == 0, result.output
    [report] = [json.loads(line) for line in result.output.splitlines()]
    assert report["tables"]["e"]["rows_loaded"] == 1
    result = CliRunner().invoke(app, ["load", "--once", "--integration", warehouse.integration_id, "--drain"])
    assert result.exit_code == 0 and json.loads(result.output)["batches"] == 0


def test_concurrent_loads_of_one_table_never_race(warehouse: Warehouse) -> None:
    # Two integrations of the same source write the same schema: their loads run at the same time.
    twin = Warehouse(warehouse.code, warehouse.details, warehouse.settings)
    twin.source_id = warehouse.source_id
    twin.integration_id = make_integration(warehouse.settings, warehouse.code, warehouse.details)[1]
    with session_scope(get_engine(warehouse.settings)) as session:
        session.get(Integration, twin.integration_id).app_id = warehouse.source_id  # type: ignore[union-attr]
    for i in range(4):
        warehouse.land([message("track", event="E", userId="u", messageId=f"r{i}-{j}") for j in range(50)])
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda w: w.load(max_batches=1), [warehouse, twin, warehouse, twin]))
    assert all(r.errors == {} for r in reports)
    warehouse.load()
    twin.load()
    ids = [r["id"] for r in warehouse.rows("e")]
    assert len(ids) == len(set(ids)) == 200


def test_huge_names_in_discards_do_not_break_the_key(warehouse: Warehouse) -> None:
    huge = "context_" + "x" * 5_000 + "ü" * 5_000  # dropped (envelope prefix); the reason names it
    warehouse.land([message("track", event="E", userId="u", messageId="m" * 3000, properties={huge: "v"})])
    report = warehouse.load()
    assert report.errors == {}
    [discard] = warehouse.rows("discards", order="row_id")
    assert len(discard["reason"]) <= 200 and len(discard["row_id"]) <= 200 and discard["column_value"] == "v"


def test_terminal_table_errors_are_parked_and_stop_blocking_the_queue(warehouse: Warehouse) -> None:
    # Every row violates the table's constraint: retrying the same rows cannot help.
    with warehouse.dialect() as d:
        d.ensure_schema(warehouse.schema)
        d.run([f'CREATE TABLE "{warehouse.schema}"."bad_value" ("id" VARCHAR, CHECK (length("id") < 0))'])
    batch = warehouse.land(_every_kind("one"))
    reports = [warehouse.load() for _ in range(TERMINAL_ATTEMPTS)]
    assert all(r.terminal == ["bad_value"] and not r.retriable for r in reports)
    assert [r.parked for r in reports] == [[]] * (TERMINAL_ATTEMPTS - 1) + [[f"{batch}/bad_value"]]
    assert (batch, "bad_value", PARKED, TERMINAL_ATTEMPTS) in _ledger(warehouse)
    # The batch no longer holds the queue: the next batch loads, the parked table is not retried.
    warehouse.land(_every_kind("two"))
    report = warehouse.load()
    assert report.batches == 1 and report.errors == {"bad_value": report.errors["bad_value"]}

    # Fixed, and queued again with --retry-parked: the parked rows load, nothing else twice.
    with warehouse.dialect() as d:
        d.run([f'DROP TABLE "{warehouse.schema}"."bad_value"'])
    result = CliRunner().invoke(app, ["load", "--once", "--integration", warehouse.integration_id,
                                      "--retry-parked"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(r["id"] for r in warehouse.rows("bad_value")) == ["one-b", "two-b"]
    assert len(warehouse.rows("tracks")) == 4 and warehouse.load().batches == 0


def test_transient_errors_are_never_parked(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse.land([message("track", event="E", userId="u", messageId="t1")])

    def unreachable(*_: Any) -> Any:
        raise TransientWarehouseError("the warehouse went away")

    monkeypatch.setattr(loader, "load_table", unreachable)
    for _ in range(TERMINAL_ATTEMPTS + 1):
        report = warehouse.load()
        assert report.retriable and report.parked == [] and report.batches == 1
    monkeypatch.undo()
    assert warehouse.load().batches_completed == 1 and len(warehouse.rows("e")) == 1


def test_fast_mapper_fallbacks_are_logged_and_counted(
    warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse.land(
        [
            message("track", event="Clash", userId="u", messageId="c1", properties={"v": 1}),
            message("track", event="Clash", userId="u", messageId="c2", properties={"v": "one"}),
            message("track", event="Fine", userId="u", messageId="f1", properties={"v": 1}),
        ]
    )
    with caplog.at_level(logging.WARNING, logger="eventyard.warehouse.fastmap"):
        report = warehouse.load()
    assert report.fallbacks == 1 and report.errors == {}
    [record] = [r for r in caplog.records if r.name == "eventyard.warehouse.fastmap"]
    assert record.levelno == logging.WARNING and "group 'track Clash' (2 messages)" in record.getMessage()
    assert "1 message groups mapped row by row" in "\n".join(report.lines())
    assert [r["v"] for r in warehouse.rows("clash")] == [1, None]  # same result as the fast path would give


def test_an_integration_is_set_up_once_per_load(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventyard.warehouse import integration

    for i in range(3):
        warehouse.land([message("track", event="E", userId="u", messageId=f"o{i}")])
    decrypted: list[bytes] = []
    real = integration.decrypt_details
    monkeypatch.setattr(integration, "decrypt_details", lambda s, c: decrypted.append(c) or real(s, c))
    report = load_integration_chunks(warehouse.settings, warehouse.integration_id, max_batches=1)
    assert (report.batches, report.batches_completed, report.remaining) == (3, 3, 0)
    assert len(decrypted) == 1  # three chunks, one lookup and decryption

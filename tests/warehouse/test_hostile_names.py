"""The hostile-name corpus loads into DuckDB and Postgres: no error, no injection, no silent overwrite."""

from __future__ import annotations

from collections import Counter

from eventyard.warehouse.naming import table_name_for_event
from tests.warehouse.conftest import Warehouse
from tests.warehouse.factories import message
from tests.warehouse.hostile_names import EVENT_NAMES, PROPERTY_NAMES, hostile_messages, hostile_properties


def _make_sentinels(warehouse: Warehouse) -> list[str]:
    default_schema = "main" if warehouse.code == "duckdb" else "public"
    with warehouse.dialect() as d:
        d.ensure_schema(warehouse.schema)
        for schema in (warehouse.schema, default_schema):
            d.create_table(schema, "sentinel", {"id": "text"}, ("id",))
    return [f'"{warehouse.schema}"."sentinel"', f'"{default_schema}"."sentinel"']


def _account(
    warehouse: Warehouse, table: str, row_id: str, discards: list[dict[str, object]]
) -> Counter[str]:
    """Where each property value went for one row: Counter of value -> occurrences (columns + discards)."""
    [row] = [r for r in warehouse.rows(table) if r["id"] == row_id]
    seen: Counter[str] = Counter(v for v in row.values() if isinstance(v, str) and v.startswith("value-"))
    seen.update(
        str(d["column_value"]) for d in discards if d["table_name"] == table and d["row_id"] == row_id
    )
    return seen


def test_hostile_corpus_is_big_enough() -> None:
    assert len(set(PROPERTY_NAMES)) >= 50 and len(set(EVENT_NAMES)) >= 20


def test_hostile_names_load_safely(warehouse: Warehouse) -> None:
    sentinels = _make_sentinels(warehouse)
    warehouse.land(hostile_messages(message))
    report = warehouse.load()
    assert report.errors == {}
    for sentinel in sentinels:  # an injected DROP TABLE would have removed these
        assert warehouse.query(f"SELECT count(*) AS n FROM {sentinel}") == [{"n": 0}]

    expected = Counter(hostile_properties().values())
    discards = warehouse.rows("discards", order="row_id")
    with warehouse.dialect() as dialect:
        tables = {i: table_name_for_event(event, dialect) for i, event in enumerate(EVENT_NAMES)}
    for index, table in tables.items():
        # Every property value is stored exactly once: in its own column, or as a discard.
        assert _account(warehouse, table, f"hostile-{index}", discards) == expected, EVENT_NAMES[index]
    assert _account(warehouse, "identifies", "hostile-identify", discards) == expected
    assert _account(warehouse, "users", "u1", discards) == expected

    tracks = warehouse.rows("tracks")
    assert sorted(r["event_text"] for r in tracks) == sorted(EVENT_NAMES)
    # Built-in tables were not hijacked by events named like them.
    assert {"_users", "_tracks", "_identifies", "_discards", "_pages"} <= warehouse.tables()
    assert len(warehouse.rows("users")) == 1

    # Loading the same messages again (a new batch) changes nothing.
    before = warehouse.snapshot()
    warehouse.land(hostile_messages(message))
    assert warehouse.load().errors == {}
    assert warehouse.snapshot() == before

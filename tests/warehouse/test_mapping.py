"""Schema mapping without a warehouse: snake-case vectors, naming rules, and the vectorized mapper
agreeing with the row-by-row one on every kind of batch."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.settings import Settings
from eventyard.warehouse import fastmap
from eventyard.warehouse.dialects import get_dialect
from eventyard.warehouse.fastmap import map_landed
from eventyard.warehouse.naming import column_name, snake_case, table_name_for_event
from eventyard.warehouse.schema_map import map_batch
from eventyard.warehouse.types import TableRows
from tests.warehouse.factories import landed_table, message
from tests.warehouse.hostile_names import hostile_messages

# segmentio/go-snakecase snake_test.go, plus the vectors and real-world names of segment-spec §3.3.
SNAKE_VECTORS = {
    "sample text": "sample_text",
    "sample-text": "sample_text",
    "sample_text": "sample_text",
    "sample___text": "sample_text",
    "sampleText": "sample_text",
    "inviteYourCustomersAddInvites": "invite_your_customers_add_invites",
    "sample 2 Text": "sample_2_text",
    "   sample   2    Text   ": "sample_2_text",
    "   $#$sample   2    Text   ": "sample_2_text",
    "SAMPLE 2 TEXT": "sample_2_text",
    "___$$Base64Encode": "base64_encode",
    "FOO:BAR$BAZ": "foo_bar_baz",
    "FOO#BAR#BAZ": "foo_bar_baz",
    "something.com": "something_com",
    "$something%": "something",
    "•¶§ƒ˚foo˙∆˚¬": "foo",
    "CStringRef": "cstring_ref",
    "_5TEst": "5test",
    "f_pX9": "f_p_x9",
    "2FA Enabled": "2fa_enabled",
    "UILanguage": "uilanguage",
    "howIUseIt": "how_iuse_it",
    "Experiment Viewed (v2)": "experiment_viewed_v2",
    "Signed Up": "signed_up",
}


@pytest.mark.parametrize(("name", "expected"), SNAKE_VECTORS.items())
def test_snake_case_vectors(name: str, expected: str) -> None:
    assert snake_case(name) == expected


@pytest.fixture
def dialects() -> dict[str, Any]:
    settings = Settings()
    return {code: get_dialect(code, {}, settings) for code in ("duckdb", "postgres")}


def test_identifier_rules(dialects: dict[str, Any]) -> None:
    pg = dialects["postgres"]
    assert column_name(("context", "app", "version"), pg) == "context_app_version"
    assert column_name(("select",), pg) == "_select"
    assert table_name_for_event("users", pg) == "_users"
    long_a, long_b = column_name(("y" * 300 + "1",), pg), column_name(("y" * 300 + "2",), pg)
    assert len(long_a) == len(long_b) == 63 and long_a != long_b
    assert column_name(("y" * 300 + "1",), pg) == long_a  # deterministic
    assert column_name(("z" * 63,), pg) == "z" * 63
    empty, other = column_name(("$$$",), pg), column_name(("名前",), pg)
    assert empty.startswith("_") and other.startswith("_") and empty != other
    assert len(column_name(("x" * 300,), dialects["duckdb"])) == 255


def _normalized(tables: dict[str, TableRows]) -> dict[str, Any]:
    return {
        name: {
            "columns": dict(sorted(t.columns.items())),
            "rows": [dict(sorted(r.items())) for r in t.rows()],
            "discards": sorted(
                (d.table_name, d.row_id, d.column_name, d.column_value, d.reason, d.received_at.timestamp())
                for d in t.discards
                if d.received_at is not None
            ),
            "kind": t.kind,
        }
        for name, t in tables.items()
    }


def _batches() -> dict[str, list[dict[str, Any]]]:
    def props(i: int) -> dict[str, Any]:
        return {
            "direction": "up",
            "score": i,
            "ratio": i / 3,
            "won": i % 2 == 0,
            "at": "2024-02-01T10:00:00Z",
            "board": {"size": 4, "tiles": [2, 4]},
            "cells": [{"x": 1}, {"y": 2}],
        }

    context = {"page": {"path": "/play", "url": "https://g/play"}, "ip": "1.2.3.4"}
    clean = [
        message("track", event="Game Move" if i % 3 else "New Game", userId=f"u{i % 4}", properties=props(i),
                context=context)
        for i in range(12)
    ]  # fmt: skip
    others = [
        message(
            "identify",
            userId="u1",
            anonymousId="a1",
            traits={"email": "e", "address": {"city": "SF"}, "id": 7},
        ),
        message("identify", anonymousId="a2", traits={"email": "anon"}),
        message(
            "page", anonymousId="a", name="Home", category="Docs", properties={"path": "/", "title": "T"}
        ),
        message("screen", userId="u", name="Main", properties={"loaded": True}),
        message("group", userId="u", groupId="g1", traits={"employees": 10, "name": "Acme"}),
        message("alias", userId="u2", previousId="a9"),
        message("track", event="Odd", userId="u", properties={"user_id": "x", "context_ip": "y", "uuid": 1}),
    ]
    mixed = [
        message("track", event="Mixed", userId="u", properties={"v": 1, "w": "2024-01-01T00:00:00Z"}),
        message("track", event="Mixed", userId="u", properties={"v": 2.5, "w": "not a time"}),
    ]
    conflicting = [
        message("track", event="Clash", userId="u", properties={"v": 1}),
        message("track", event="Clash", userId="u", properties={"v": "one"}),
    ]
    cross_event = [
        message("track", event="A", userId="u", properties={"value": 1, "tags": ["x"]}),
        message("identify", userId="u", traits={"value": True}),
        message("track", event="B", userId="u", properties={"value": "one", "tags": "x"}),
        message("track", event="A", userId="u", properties={"value": 2.5}, context={"extra": 1}),
    ]
    return {
        "cross_event": cross_event,
        "clean": clean,
        "others": others,
        "mixed": mixed,
        "conflicting": conflicting,
        "hostile": hostile_messages(message),
    }


@pytest.mark.parametrize("batch", ["clean", "others", "mixed", "conflicting", "hostile", "cross_event"])
def test_vectorized_mapper_matches_row_mapper(batch: str, dialects: dict[str, Any]) -> None:
    messages = _batches()[batch]
    for dialect in dialects.values():
        expected = _normalized(map_batch(messages, dialect))
        assert _normalized(map_landed(landed_table("src", messages), dialect).tables) == expected


@pytest.mark.parametrize("batch", ["clean", "others", "mixed", "cross_event"])
def test_vectorized_mapper_needs_no_fallback(
    batch: str, dialects: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fallback(*_: Any) -> None:
        raise AssertionError("fell back to the row mapper")

    monkeypatch.setattr(fastmap, "map_batch", no_fallback)
    mapped = map_landed(landed_table("src", _batches()[batch]), dialects["postgres"])
    assert mapped.tables and mapped.fallbacks == []


def test_types_and_discards_within_a_batch(dialects: dict[str, Any]) -> None:
    tables = map_batch(_batches()["mixed"] + _batches()["conflicting"], dialects["postgres"])
    mixed, clash = tables["mixed"], tables["clash"]
    assert (mixed.columns["v"], mixed.columns["w"], clash.columns["v"]) == ("double", "timestamp", "bigint")
    assert [r["v"] for r in clash.rows()] == [1, None]
    assert [(d.column_name, d.column_value) for d in mixed.discards + clash.discards] == [
        ("w", "not a time"),
        ("v", "one"),
    ]


def test_first_occurrence_of_a_key_wins(dialects: dict[str, Any]) -> None:
    from eventyard.warehouse.dialects.base import first_per_key

    messages = [
        message("track", event="E", userId="u", messageId=m, properties={"n": n})
        for n, m in enumerate(["a", "b", "a", "c", "b"])
    ]
    table = map_batch(messages, dialects["duckdb"])["e"]
    assert [(r["id"], r["n"]) for r in first_per_key(table).rows()] == [("a", 0), ("b", 1), ("c", 3)]


def test_only_the_conflicting_group_is_mapped_row_by_row(
    dialects: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = fastmap.map_batch

    def spy(messages: list[dict[str, Any]], dialect: Any) -> dict[str, TableRows]:
        calls.append(len(messages))
        return real(messages, dialect)

    monkeypatch.setattr(fastmap, "map_batch", spy)
    clean = [message("track", event="Fine", userId="u", properties={"n": i}) for i in range(10)]
    batch = _batches()["conflicting"] + clean
    tables = map_landed(landed_table("src", batch), dialects["postgres"]).tables
    assert calls == [2]
    assert _normalized(tables) == _normalized(real(batch, dialects["postgres"]))


def test_sampled_types_never_change_the_result(
    dialects: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full parse gets the types inferred from the first rows; later rows that disagree
    (int then float, string then number, null first, date then date-time) change nothing."""
    from eventyard.warehouse import arrow_json

    monkeypatch.setattr(arrow_json, "SAMPLE_ROWS", 3)
    first = {"n": 1, "s": "x", "z": None, "d": "1990-01-01", "o": {"k": 1}, "l": []}
    later = {"n": 2.5, "s": 5, "z": 7, "d": "1990-01-01T10:00:00.5Z", "o": {"k": 2, "j": "y"}, "l": [1]}
    batch = [message("track", event="E", userId="u", properties=first) for _ in range(4)]
    batch += [message("track", event="E", userId="u", properties=later)]
    batch += [message("track", event="F", userId="u", properties={"n": i}) for i in range(5)]
    for dialect in dialects.values():
        expected = _normalized(map_batch(batch, dialect))
        assert _normalized(map_landed(landed_table("src", batch), dialect).tables) == expected

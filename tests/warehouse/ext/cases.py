"""segment-spec §6 acceptance cases 15-23, written once, run on every ext dialect.

Each case gets a connected ``Warehouse`` and a fresh schema name, loads messages through the real
mapping + loader, and checks the tables with plain SELECTs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.warehouse.ext.harness import LOADED_AT, Warehouse
from tests.warehouse.factories import case15_properties, message


def _ts(value: Any) -> datetime:
    """A timestamp read back from any warehouse as an aware UTC datetime."""
    assert isinstance(value, datetime), value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def case_15_track_rows(wh: Warehouse, schema: str) -> None:
    """Track -> a `tracks` row without properties + an event table with typed property columns."""
    m = message(
        "track",
        event="Order Completed",
        userId="u1",
        messageId="m1",
        properties=case15_properties(),
    )
    wh.load(schema, [m])
    (track,) = wh.rows(schema, "tracks")
    assert track["id"] == "m1"
    assert track["event"] == "order_completed"
    assert track["event_text"] == "Order Completed"
    assert track["user_id"] == "u1"
    assert track["context_library_name"] == "analytics-python"
    assert track["context_library_version"] == "2.3.4"
    assert _ts(track["uuid_ts"]) == LOADED_AT
    assert _ts(track["received_at"]) == datetime(2024, 1, 1, tzinfo=UTC)
    for column in ("sent_at", "timestamp", "original_timestamp"):
        _ts(track[column])
    assert "order_id" not in track and "revenue" not in track
    (row,) = wh.rows(schema, "order_completed")
    assert row["order_id"] == "o1"
    assert row["revenue"] == 14.99
    assert row["items"] == 2
    assert row["products"] == '[{"sku":"a"}]'
    assert row["shipping_method"] == "UPS"
    assert row["event"] == "order_completed"
    columns = wh.columns(schema, "order_completed")
    assert columns is not None
    assert (columns["order_id"], columns["revenue"], columns["items"], columns["products"]) == (
        "text",
        "double",
        "bigint",
        "text",
    )


def case_16_camel_case(wh: Warehouse, schema: str) -> None:
    """camelCase property names are snake-cased like go-snakecase."""
    wh.load(
        schema,
        [
            message(
                "track",
                event="Register",
                userId="u",
                properties={"plan": "Pro Annual", "accountType": "Facebook"},
            )
        ],
    )
    (row,) = wh.rows(schema, "register")
    assert (row["plan"], row["account_type"]) == ("Pro Annual", "Facebook")


def case_17_event_slug(wh: Warehouse, schema: str) -> None:
    """An event name with punctuation becomes a slug table; event_text keeps the raw name."""
    wh.load(schema, [message("track", event="Experiment Viewed (v2)", userId="u")])
    (row,) = wh.rows(schema, "experiment_viewed_v2")
    assert (row["event"], row["event_text"]) == ("experiment_viewed_v2", "Experiment Viewed (v2)")
    (track,) = wh.rows(schema, "tracks")
    assert track["event"] == "experiment_viewed_v2"


def case_18_identify(wh: Warehouse, schema: str) -> None:
    """Identify -> identifies (traits flattened, arrays as JSON) and users (no anonymous_id)."""
    traits = {"email": "p@x.com", "firstName": "P", "address": {"city": "SF"}, "tags": ["a", "b"]}
    wh.load(schema, [message("identify", userId="u1", anonymousId="a1", traits=traits)])
    (ident,) = wh.rows(schema, "identifies")
    assert (ident["user_id"], ident["anonymous_id"]) == ("u1", "a1")
    assert (ident["email"], ident["first_name"], ident["address_city"]) == ("p@x.com", "P", "SF")
    assert ident["tags"] == '["a","b"]'
    (user,) = wh.rows(schema, "users")
    assert user["id"] == "u1"
    assert (user["email"], user["first_name"], user["address_city"], user["tags"]) == (
        "p@x.com",
        "P",
        "SF",
        '["a","b"]',
    )
    assert _ts(user["received_at"]) and _ts(user["uuid_ts"]) == LOADED_AT
    assert "anonymous_id" not in user


def case_19_users_upsert(wh: Warehouse, schema: str) -> None:
    """A later identify updates one trait; the other keeps its latest non-null value."""
    wh.load(schema, [message("identify", userId="u1", traits={"plan": "free", "email": "e"}, offset_s=0)])
    wh.load(schema, [message("identify", userId="u1", traits={"plan": "pro"}, offset_s=60)])
    # An older identify loaded late never overwrites a newer value.
    wh.load(schema, [message("identify", userId="u1", traits={"plan": "trial"}, offset_s=30)])
    (user,) = wh.rows(schema, "users")
    assert (user["plan"], user["email"]) == ("pro", "e")
    assert len(wh.rows(schema, "identifies")) == 3


def case_20_anonymous_identify(wh: Warehouse, schema: str) -> None:
    """An identify with only an anonymousId creates no users row."""
    wh.load(schema, [message("identify", anonymousId="anon-1", traits={"email": "x@y.z"})])
    (ident,) = wh.rows(schema, "identifies")
    assert ident["anonymous_id"] == "anon-1" and ident["user_id"] is None
    assert wh.columns(schema, "users") is None or wh.rows(schema, "users") == []


def case_21_context(wh: Warehouse, schema: str) -> None:
    """Context is flattened with a context_ prefix."""
    context = {"app": {"version": "1.0.0"}, "userAgent": "UA", "traits": {"email": "e"}}
    wh.load(schema, [message("track", event="Opened", userId="u", context=context)])
    (row,) = wh.rows(schema, "tracks")
    assert (row["context_app_version"], row["context_user_agent"], row["context_traits_email"]) == (
        "1.0.0",
        "UA",
        "e",
    )


def case_22_reserved_and_colliding(wh: Warehouse, schema: str) -> None:
    """Property `id` -> `_id`; a `user_id` property never overrides the envelope column."""
    props = {"id": 5, "user_id": "spoofed", "open": True}
    wh.load(schema, [message("track", event="Clicked", userId="real", properties=props)])
    (row,) = wh.rows(schema, "clicked")
    assert row["_id"] == 5
    assert row["user_id"] == "real"
    reserved_open = "open" in wh.dialect.reserved_words
    assert row["_open" if reserved_open else "open"] is True


def case_23_types_and_discards(wh: Warehouse, schema: str) -> None:
    """First type wins; an uncastable later value is nulled and recorded in `discards`."""
    first = message(
        "track",
        event="Scored",
        userId="u",
        messageId="s1",
        properties={"score": 5, "dob": "1990-01-01T00:00:00Z"},
    )
    wh.load(schema, [first])
    second = message(
        "track", event="Scored", userId="u", messageId="s2", properties={"score": "abc"}, offset_s=5
    )
    wh.load(schema, [second])
    columns = wh.columns(schema, "scored")
    assert columns is not None and columns["score"] == "bigint" and columns["dob"] == "timestamp"
    rows = {r["id"]: r for r in wh.rows(schema, "scored")}
    assert rows["s1"]["score"] == 5 and rows["s2"]["score"] is None
    assert _ts(rows["s1"]["dob"]) == datetime(1990, 1, 1, tzinfo=UTC)
    discards = wh.rows(schema, "discards", order_by="row_id")
    assert [(d["table_name"], d["row_id"], d["column_name"], d["column_value"]) for d in discards] == [
        ("scored", "s2", "score", "abc")
    ]


CASES: list[Callable[[Warehouse, str], None]] = [
    case_15_track_rows,
    case_16_camel_case,
    case_17_event_slug,
    case_18_identify,
    case_19_users_upsert,
    case_20_anonymous_identify,
    case_21_context,
    case_22_reserved_and_colliding,
    case_23_types_and_discards,
]


def hostile_names_case(
    wh: Warehouse, schema: str, events: list[str] | None = None, *, reload: bool = True
) -> None:
    """The shared hostile-name corpus: no error, no injection, every value stored exactly once.

    Every hostile property name is used; ``events`` narrows the event names (default: all);
    ``reload`` also checks that loading the same messages again changes nothing.
    """
    from collections import Counter

    from eventyard.warehouse.naming import table_name_for_event
    from tests.warehouse.hostile_names import EVENT_NAMES, hostile_properties

    names = EVENT_NAMES if events is None else events
    props = hostile_properties()
    messages = [
        message("track", event=event, userId="u1", messageId=f"hostile-{i}", properties=props)
        for i, event in enumerate(names)
    ]
    messages.append(message("identify", userId="u1", messageId="hostile-identify", traits=props))

    wh.dialect.ensure_schema(schema)
    wh.dialect.create_table(schema, "sentinel", {"id": "text"}, ("id",))
    wh.load(schema, messages)
    assert wh.rows(schema, "sentinel") == []  # an injected DROP TABLE would have removed it

    expected = Counter(props.values())
    discards = wh.rows(schema, "discards", order_by="row_id")

    def account(table: str, row_id: str) -> Counter[str]:
        (row,) = [r for r in wh.rows(schema, table) if r["id"] == row_id]
        seen: Counter[str] = Counter(v for v in row.values() if isinstance(v, str) and v.startswith("value-"))
        seen.update(
            str(d["column_value"]) for d in discards if (d["table_name"], d["row_id"]) == (table, row_id)
        )
        return seen

    for index, event in enumerate(names):
        assert account(table_name_for_event(event, wh.dialect), f"hostile-{index}") == expected, event
    assert account("identifies", "hostile-identify") == expected
    assert account("users", "u1") == expected
    assert sorted(r["event_text"] for r in wh.rows(schema, "tracks")) == sorted(names)
    for hijacked in {"_users", "_tracks", "_identifies", "_discards", "_pages"} & {
        table_name_for_event(e, wh.dialect) for e in names
    }:
        assert wh.columns(schema, hijacked) is not None
    if not reload:
        return
    order = {"tracks": "id", "identifies": "id", "users": "id", "discards": "row_id"}
    before = {t: sorted(map(repr, wh.rows(schema, t, o))) for t, o in order.items()}
    wh.load(schema, messages)
    assert {t: sorted(map(repr, wh.rows(schema, t, o))) for t, o in order.items()} == before

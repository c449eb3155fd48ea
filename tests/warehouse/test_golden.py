"""Golden tests: segment-spec §6 acceptance cases 15-23, end to end (landed batch -> warehouse),
on DuckDB and on a real Postgres."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.warehouse.conftest import Warehouse
from tests.warehouse.factories import case15_properties, message

ENVELOPE = {
    "id",
    "received_at",
    "sent_at",
    "timestamp",
    "original_timestamp",
    "uuid_ts",
    "user_id",
    "anonymous_id",
}


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_case15_track_rows_in_tracks_and_event_table(warehouse: Warehouse) -> None:
    warehouse.land(
        [
            message(
                "track",
                event="Order Completed",
                userId="u1",
                messageId="m1",
                receivedAt="2015-12-12T19:11:01.266Z",
                sentAt="2015-12-12T19:11:01.169Z",
                originalTimestamp="2015-12-12T19:11:01.152Z",
                timestamp="2015-12-12T19:11:01.249Z",
                properties=case15_properties(),
                context={"library": {"name": "analytics-python", "version": "2.3.4"}},
            )
        ]
    )
    report = warehouse.load()
    assert report.errors == {}
    assert report.tables["tracks"].rows_loaded == 1
    tracks = warehouse.columns("tracks")
    assert tracks is not None
    assert set(tracks) == ENVELOPE | {
        "event",
        "event_text",
        "context_library_name",
        "context_library_version",
    }
    [row] = warehouse.rows("tracks")
    assert row["id"] == "m1" and row["event"] == "order_completed" and row["event_text"] == "Order Completed"
    assert row["user_id"] == "u1" and row["context_library_name"] == "analytics-python"
    assert row["context_library_version"] == "2.3.4"
    # Case 3's four timestamps survive into the warehouse.
    assert row["received_at"] == _ts("2015-12-12T19:11:01.266Z")
    assert row["sent_at"] == _ts("2015-12-12T19:11:01.169Z")
    assert row["original_timestamp"] == _ts("2015-12-12T19:11:01.152Z")
    assert row["timestamp"] == _ts("2015-12-12T19:11:01.249Z")
    assert row["uuid_ts"] is not None
    event_columns = warehouse.columns("order_completed")
    assert event_columns is not None
    assert set(event_columns) == set(tracks) | {"order_id", "revenue", "items", "products", "shipping_method"}
    assert {c: event_columns[c] for c in ("order_id", "revenue", "items", "products", "shipping_method")} == {
        "order_id": "text",
        "revenue": "double",
        "items": "bigint",
        "products": "text",
        "shipping_method": "text",
    }
    [event] = warehouse.rows("order_completed")
    assert (event["order_id"], event["revenue"], event["items"]) == ("o1", 14.99, 2)
    assert (event["products"], event["shipping_method"]) == ('[{"sku":"a"}]', "UPS")
    assert event["event"] == "order_completed"


def test_case16_camel_case_properties(warehouse: Warehouse) -> None:
    warehouse.land(
        [
            message(
                "track",
                event="Register",
                userId="u",
                properties={"plan": "Pro Annual", "accountType": "Facebook"},
            )
        ]
    )
    warehouse.load()
    [row] = warehouse.rows("register")
    assert (row["plan"], row["account_type"]) == ("Pro Annual", "Facebook")


def test_case17_event_name_slug(warehouse: Warehouse) -> None:
    warehouse.land([message("track", event="Experiment Viewed (v2)", userId="u")])
    warehouse.load()
    assert "experiment_viewed_v2" in warehouse.tables()
    [row] = warehouse.rows("tracks")
    assert (row["event"], row["event_text"]) == ("experiment_viewed_v2", "Experiment Viewed (v2)")


def test_case18_identify_to_identifies_and_users(warehouse: Warehouse) -> None:
    traits = {"email": "p@x.com", "firstName": "P", "address": {"city": "SF"}, "tags": ["a", "b"]}
    warehouse.land([message("identify", userId="u1", anonymousId="a1", messageId="i1", traits=traits)])
    warehouse.load()
    [row] = warehouse.rows("identifies")
    assert (row["id"], row["user_id"], row["anonymous_id"]) == ("i1", "u1", "a1")
    assert (row["email"], row["first_name"], row["address_city"], row["tags"]) == (
        "p@x.com",
        "P",
        "SF",
        '["a","b"]',
    )
    assert row["timestamp"] is not None and row["received_at"] is not None
    users = warehouse.columns("users")
    assert users is not None and "anonymous_id" not in users
    [user] = warehouse.rows("users")
    assert (user["id"], user["email"], user["first_name"], user["address_city"], user["tags"]) == (
        "u1", "p@x.com", "P", "SF", '["a","b"]'
    )  # fmt: skip
    assert user["received_at"] is not None and user["uuid_ts"] is not None


def test_case19_users_keep_latest_non_null_per_trait(warehouse: Warehouse) -> None:
    warehouse.land([message("identify", userId="u1", offset_s=1, traits={"plan": "free", "email": "e"})])
    warehouse.load()
    warehouse.land([message("identify", userId="u1", offset_s=2, traits={"plan": "pro"})])
    warehouse.load()
    [user] = warehouse.rows("users")
    assert (user["plan"], user["email"]) == ("pro", "e")
    # A late-arriving older identify never overwrites a newer value.
    warehouse.land([message("identify", userId="u1", offset_s=0, traits={"plan": "trial", "city": "Oslo"})])
    warehouse.load()
    [user] = warehouse.rows("users")
    assert (user["plan"], user["email"], user["city"]) == ("pro", "e", "Oslo")
    assert len(warehouse.rows("identifies")) == 3


def test_case20_anonymous_identify_creates_no_user(warehouse: Warehouse) -> None:
    warehouse.land([message("identify", anonymousId="anon-1", traits={"email": "x"})])
    warehouse.load()
    assert len(warehouse.rows("identifies")) == 1
    assert "users" not in warehouse.tables()


def test_case21_context_flattening(warehouse: Warehouse) -> None:
    context = {"app": {"version": "1.0.0"}, "userAgent": "UA", "traits": {"email": "e"}}
    warehouse.land([message("track", event="Opened", userId="u", context=context)])
    warehouse.load()
    [row] = warehouse.rows("tracks")
    assert (row["context_app_version"], row["context_user_agent"], row["context_traits_email"]) == (
        "1.0.0",
        "UA",
        "e",
    )


def test_case22_reserved_and_colliding_names(warehouse: Warehouse) -> None:
    warehouse.land(
        [
            message(
                "track",
                event="Clicked",
                userId="u1",
                messageId="m22",
                properties={"id": 5, "user_id": "other", "open": True},
            )
        ]
    )
    report = warehouse.load()
    columns = warehouse.columns("clicked")
    assert columns is not None
    assert columns["_id"] == "bigint"
    assert [c for c in columns if "user_id" in c] == ["user_id"]
    [row] = warehouse.rows("clicked")
    assert (row["_id"], row["user_id"]) == (5, "u1")
    # `open` is not reserved in Postgres/DuckDB (Redshift's `_open` is tested with its dialect).
    assert row["open"] is True
    # The dropped property is not silent: it is in discards.
    discards = warehouse.rows("discards", order="column_name")
    assert [(d["table_name"], d["row_id"], d["column_name"], d["column_value"]) for d in discards] == [
        ("clicked", "m22", "user_id", "other")
    ]
    assert report.tables["clicked"].rows_discarded == 1


def test_case23_type_inference_and_conflict(warehouse: Warehouse) -> None:
    warehouse.land(
        [
            message(
                "track",
                event="Scored",
                userId="u",
                messageId="s1",
                properties={"score": 5, "dob": "1990-01-01T00:00:00Z"},
            )
        ]
    )
    warehouse.load()
    warehouse.land(
        [
            message(
                "track",
                event="Scored",
                userId="u",
                messageId="s2",
                properties={"score": "abc", "dob": "not a date"},
            )
        ]
    )
    report = warehouse.load()
    assert report.errors == {}
    columns = warehouse.columns("scored")
    assert columns is not None and columns["score"] == "bigint" and columns["dob"] == "timestamp"
    rows = warehouse.rows("scored")
    assert [(r["id"], r["score"]) for r in rows] == [("s1", 5), ("s2", None)]
    assert rows[0]["dob"] == _ts("1990-01-01T00:00:00Z") and rows[1]["dob"] is None
    discards = warehouse.rows("discards", order="column_name")
    assert [(d["row_id"], d["column_name"], d["column_value"]) for d in discards] == [
        ("s2", "dob", "not a date"),
        ("s2", "score", "abc"),
    ]
    assert all(d["reason"] and d["uuid_ts"] and d["received_at"] for d in discards)


def test_pages_screens_groups_aliases(warehouse: Warehouse) -> None:
    """Cases 24-25 as landed (the collector normalizes MetaRouter's shapes before landing)."""
    warehouse.land(
        [
            message(
                "page",
                anonymousId="a",
                messageId="p1",
                name="Home",
                category="Docs",
                properties={"path": "/"},
            ),
            message("screen", userId="u", messageId="s1", name="Main", properties={"loaded": True}),
            message("group", userId="u", messageId="g1", groupId="acme", traits={"employees": 10, "id": "x"}),
            message("alias", userId="u2", anonymousId="a9", messageId="al1", previousId="a9"),
        ]
    )
    assert warehouse.load().errors == {}
    [page] = warehouse.rows("pages")
    assert (page["name"], page["category"], page["path"]) == ("Home", "Docs", "/")
    assert "event" not in page
    [screen] = warehouse.rows("screens")
    assert (screen["name"], screen["loaded"]) == ("Main", True)
    [group] = warehouse.rows("groups")
    assert (group["group_id"], group["employees"], group["_id"]) == ("acme", 10, "x")
    [alias] = warehouse.rows("aliases")
    assert (alias["user_id"], alias["previous_id"]) == ("u2", "a9")


def test_users_within_one_batch_take_the_latest_value(warehouse: Warehouse) -> None:
    warehouse.land(
        [
            message("identify", userId="u1", offset_s=5, traits={"plan": "pro"}),
            message("identify", userId="u1", offset_s=1, traits={"plan": "free", "email": "e"}),
            message("identify", userId="u2", offset_s=2, traits={"plan": "team"}),
        ]
    )
    warehouse.load()
    users = {u["id"]: (u["plan"], u["email"]) for u in warehouse.rows("users")}
    assert users == {"u1": ("pro", "e"), "u2": ("team", None)}

"""Every auth form of segment-spec §1.2, and what unknown, disabled and deleted keys get."""

from __future__ import annotations

import base64
import time

import pytest

from eventyard.collector.writekeys import WriteKeyCache
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Source
from eventyard.settings import Settings
from tests.collector.api.conftest import WK, Collector

TRACK = {"userId": "u", "event": "E"}


def basic(text: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(text.encode()).decode()}


@pytest.mark.parametrize("credential", [f"{WK}:", WK], ids=["with-colon", "without-colon"])
def test_basic_auth(col: Collector, credential: str) -> None:
    assert col.client.post("/v1/track", json=TRACK, headers=basic(credential)).status_code == 200
    assert col.spool.stored()[0]["sourceId"] == WK


def test_body_write_key_at_batch_level(col: Collector) -> None:
    body = {"batch": [{"type": "track", **TRACK}], "writeKey": WK}
    assert col.client.post("/v1/batch", json=body).status_code == 200
    assert col.spool.stored()[0]["sourceId"] == WK


def test_bearer_token_plus_body_write_key(col: Collector) -> None:
    body = {"batch": [{"type": "track", **TRACK}], "writeKey": WK}
    response = col.client.post("/v1/batch", json=body, headers={"Authorization": "Bearer some-oauth-token"})
    assert response.status_code == 200
    assert col.spool.stored()[0]["sourceId"] == WK


def test_metarouter_key_per_event_without_auth_header(col: Collector) -> None:
    batch = [
        {"type": "track", **TRACK, "writeKey": WK, "messageId": "k1"},
        {"type": "track", **TRACK, "writeKey": "otherkey", "messageId": "k2"},
        {"type": "track", **TRACK, "writeKey": "nosuchkey", "messageId": "k3"},
    ]
    response = col.client.post("/v1/batch", json={"batch": batch})
    assert response.status_code == 200
    assert [(r["messageId"], r["code"]) for r in response.json()["rejected"]] == [("k3", "invalid_write_key")]
    by_id = {r["message"]["messageId"]: r for r in col.spool.stored()}
    assert by_id["k1"]["sourceId"] == WK and by_id["k2"]["sourceId"] == "otherkey"
    # An event whose own key fails is kept (rejected) under the request's first valid source.
    assert by_id["k3"]["sourceId"] == WK and by_id["k3"]["rejected"]["code"] == "invalid_write_key"


def test_rudderstack_basic_auth_with_anonymous_id_header(col: Collector) -> None:
    headers = {**basic(f"{WK}:"), "AnonymousId": base64.b64encode(b"anon-1").decode()}
    body = {"anonymousId": "anon-1", "event": "X", "originalTimestamp": "2024-01-01T00:00:00.000Z"}
    assert col.client.post("/v1/track", json=body, headers=headers).status_code == 200


def test_basic_auth_wins_over_body_key(col: Collector) -> None:
    body = {**TRACK, "writeKey": "otherkey"}
    assert col.client.post("/v1/track", json=body, headers=basic(f"{WK}:")).status_code == 200
    assert col.spool.stored()[0]["sourceId"] == WK


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("nosuchkey", "invalid_write_key"),
        ("disabledkey", "source_disabled"),
        ("deletedkey", "source_deleted"),
    ],
)
def test_unusable_keys_get_401_with_a_clear_error(col: Collector, key: str, code: str) -> None:
    for path, body in (("/v1/track", TRACK), ("/v1/batch", {"batch": [{"type": "track", **TRACK}]})):
        response = col.client.post(path, json=body, headers=basic(f"{key}:"))
        assert response.status_code == 401
        assert response.json() == {"success": False, "message": response.json()["message"], "code": code}
    assert col.spool.records == []


def test_no_key_at_all(col: Collector) -> None:
    response = col.client.post("/v1/track", json=TRACK)
    assert response.status_code == 401 and response.json()["code"] == "missing_write_key"
    batch = col.client.post("/v1/batch", json={"batch": [{"type": "track", **TRACK}]})
    assert batch.status_code == 401 and batch.json()["code"] == "missing_write_key"


def test_sources_created_disabled_and_deleted_through_houston_take_effect_within_the_ttl(
    col: Collector,
) -> None:
    from eventyard.db.models import Role
    from eventyard.houston.services.sources import (
        create_application,
        delete_application,
        update_application,
    )
    from eventyard.houston.services.unit import Actor, run_unit

    engine = get_engine(col.settings)
    actor = Actor(user_id=col.ids["member"], org_id=col.ids["acme"], role=Role.USER)
    write_key = run_unit(engine, col.settings, actor, create_application, "New", "analytics.js", None)
    wait = col.settings.writekey_cache_seconds + 0.05

    def set_enabled(enabled: bool) -> None:
        run_unit(
            engine,
            col.settings,
            actor,
            update_application,
            write_key,
            name=None,
            platform=None,
            enabled=enabled,
        )

    assert col.client.post("/v1/track", json=TRACK, headers=basic(f"{write_key}:")).status_code == 200
    set_enabled(False)
    time.sleep(wait)
    disabled = col.client.post("/v1/track", json=TRACK, headers=basic(f"{write_key}:"))
    assert disabled.status_code == 401 and disabled.json()["code"] == "source_disabled"
    set_enabled(True)
    time.sleep(wait)
    assert col.client.post("/v1/track", json=TRACK, headers=basic(f"{write_key}:")).status_code == 200
    run_unit(engine, col.settings, actor, delete_application, write_key)
    time.sleep(wait)
    deleted = col.client.post("/v1/track", json=TRACK, headers=basic(f"{write_key}:"))
    assert deleted.status_code == 401 and deleted.json()["code"] == "source_deleted"


def test_a_key_unknown_a_moment_ago_works_once_its_negative_entry_expires(col: Collector) -> None:
    headers = basic("freshkey:")
    assert col.client.post("/v1/track", json=TRACK, headers=headers).status_code == 401
    with session_scope(get_engine(col.settings)) as session:
        session.add(Source(id="freshkey", org_id=col.ids["acme"], name="new", platform="web"))
    time.sleep(col.settings.writekey_cache_seconds + 0.05)
    assert col.client.post("/v1/track", json=TRACK, headers=headers).status_code == 200


async def test_key_lookup_on_both_control_databases(settings: Settings) -> None:
    """The cache's query against the real ``sources`` table, on SQLite and on Postgres."""
    from tests.collector.api.conftest import seed

    seed(settings)
    cache = WriteKeyCache(get_engine(settings), ttl=60)
    assert (await cache.resolve(WK)).status == "ok"
    assert (await cache.resolve("disabledkey")).status == "disabled"
    assert (await cache.resolve("deletedkey")).status == "deleted"
    assert (await cache.resolve("nope")).status == "unknown"
    assert (await cache.resolve("x" * 500)).status == "unknown"
    assert cache.cached(WK) is not None


async def test_known_keys_survive_a_control_db_outage(tmp_path: pytest.TempPathFactory) -> None:
    from sqlalchemy import create_engine

    from eventyard.collector.writekeys import ControlDbUnavailable, SourceKey

    broken = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    cache = WriteKeyCache(broken, ttl=0)
    cache._entries["known"] = (0.0, SourceKey("known", "ok", "org"))  # expired but known
    assert (await cache.resolve("known")).ok
    with pytest.raises(ControlDbUnavailable):
        await cache.resolve("unknown-key")


async def test_concurrent_lookups_of_one_key_share_one_query(sqlite_settings: Settings) -> None:
    import asyncio

    from tests.collector.api.conftest import seed

    seed(sqlite_settings)
    cache = WriteKeyCache(get_engine(sqlite_settings), ttl=60)
    calls: list[str] = []
    lookup = cache._lookup

    def counting(key: str):  # type: ignore[no-untyped-def]
        calls.append(key)
        return lookup(key)

    cache._lookup = counting  # type: ignore[method-assign]
    first = asyncio.ensure_future(cache.resolve(WK))
    await asyncio.sleep(0)
    first.cancel()  # a caller that goes away does not cancel the shared lookup
    results = await asyncio.gather(*(cache.resolve(WK) for _ in range(5)))
    assert {r.status for r in results} == {"ok"} and calls == [WK]

"""The flusher: Parquet per source and hour, exactly one manifest row per batch, rejected records kept."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from eventyard.collector import flusher as flusher_module
from eventyard.collector import segment
from eventyard.collector.flusher import flush_all
from eventyard.collector.landing_fallback import python_parse
from eventyard.collector.landing_writer import parse_records
from eventyard.collector.spool import Spool
from eventyard.landing import StoreError
from eventyard.settings import Settings

from .helpers import OTHER_SOURCE, SOURCE, batches, landed, landed_ids, record, store_for


async def _spool_with(settings: Settings, records: list[bytes]) -> Spool:
    spool = Spool.open(settings)
    await spool.append(records)
    await spool.seal()
    return spool


async def test_repeated_flush_after_a_crash_before_delete_lands_once(settings: Settings) -> None:
    records = [record(message_id=f"m-{i}") for i in range(20)]
    records += [record(message_id=f"late-{i}", received="2024-01-01T11:00:01.000Z") for i in range(5)]
    records += [record(message_id=f"other-{i}", source=OTHER_SOURCE) for i in range(5)]
    spool = await _spool_with(settings, records)
    [name] = spool.sealed_segments()
    saved = spool.slot_dir.parent / "saved-segment"
    shutil.copy(spool.slot_dir / name, saved)

    first = flush_all(settings, owned=[spool])
    assert (first["segments"], first["batches"], first["rows"]) == (1, 3, 30)
    keys = store_for(settings).list("source=")
    assert keys == sorted(keys) and len(keys) == 3
    assert any(f"source={SOURCE}/date=2024-01-01/hour=11/" in key for key in keys)

    # The "crash": the segment is still there after landing and recording, so it is flushed again.
    shutil.copy(saved, spool.slot_dir / name)
    again = flush_all(settings, owned=[spool])
    assert again["rows"] == 30
    assert store_for(settings).list("source=") == keys
    rows = batches(settings)
    assert len(rows) == 3
    assert sum(row.row_count for row in rows) == 30
    assert {row.uri.rsplit("/", 1)[1][:-8] for row in rows} == {row.id for row in rows}
    ids = landed_ids(settings)
    assert len(ids) == len(set(ids)) == 30
    await spool.close()


async def test_manifest_failure_keeps_the_segment_and_the_retry_records_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = await _spool_with(settings, [record(message_id=f"m-{i}") for i in range(5)])
    real_record_batch = flusher_module.record_batch

    def db_down(*args: object, **kwargs: object) -> bool:
        raise OperationalError("insert", {}, Exception("control DB unreachable"))

    monkeypatch.setattr(flusher_module, "record_batch", db_down)
    assert flush_all(settings, owned=[spool])["failed_segments"] == 1
    assert len(spool.sealed_segments()) == 1
    assert len(store_for(settings).list("source=")) == 1  # uploaded before the DB failed
    assert spool.stats()["upload_failures"] == 1

    monkeypatch.setattr(flusher_module, "record_batch", real_record_batch)
    assert flush_all(settings, owned=[spool])["rows"] == 5
    assert spool.sealed_segments() == []
    assert len(batches(settings)) == 1
    assert len(store_for(settings).list("source=")) == 1
    await spool.close()


async def test_store_failure_backs_off_and_keeps_accepting(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = await _spool_with(spool_settings, [record(message_id="first")])

    def store_down(self: object, key: str, data: bytes) -> str:
        raise StoreError("object store unreachable")

    monkeypatch.setattr(type(spool.flusher.lander.store), "put", store_down)
    sealed = spool.sealed_segments()
    assert spool.flusher.flush(sealed).failed_segments == 1
    # Within the backoff window a non-forced flush does not even try.
    assert spool.flusher.flush(sealed).failed_segments == 0
    await spool.append([record(message_id="second")])
    assert spool.healthy()
    monkeypatch.undo()
    await spool.close()
    flush_all(spool_settings)
    assert sorted(landed_ids(spool_settings)) == ["first", "second"]


async def test_a_segment_that_cannot_be_converted_does_not_block_the_others(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id="poison")])
    await spool.seal()
    await spool.append([record(message_id="healthy")])
    await spool.seal()
    real_build = flusher_module.build_objects

    def fail_on_poison(records: list[bytes], **kwargs: object) -> object:
        if b"poison" in records[0]:
            raise ValueError("cannot convert")
        return real_build(records, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(flusher_module, "build_objects", fail_on_poison)
    counts = spool.flusher.flush(spool.sealed_segments())
    assert (counts.segments, counts.failed_segments) == (1, 1)
    assert landed_ids(spool_settings) == ["healthy"]
    assert len(spool.sealed_segments()) == 1  # kept, retried later
    monkeypatch.undo()
    assert flush_all(spool_settings, owned=[spool])["rows"] == 1
    assert sorted(landed_ids(spool_settings)) == ["healthy", "poison"]
    await spool.close()


def test_backoff_grows_and_is_capped() -> None:
    delays = [flusher_module.backoff_delay(n) for n in range(1, 30)]
    assert delays[0] <= flusher_module.BACKOFF_BASE_S
    assert max(delays) <= flusher_module.BACKOFF_CAP_S
    assert delays[10] > delays[0]


async def test_rejected_records_land_under_rejected_without_a_manifest_row(spool_settings: Settings) -> None:
    reason = {"code": "no_user_anon_id", "reason": "message has neither userId nor anonymousId"}
    records = [
        record(message_id="ok"),
        record(message_id="bad", rejected=reason, userId=None),
        orjson.dumps({"sourceId": SOURCE, "receivedAt": "2024-01-01T10:00Z", "message": {"type": "track"}}),
        orjson.dumps({"sourceId": "../../etc", "receivedAt": "2024-01-01T10:00:00.000Z", "message": {}}),
    ]
    spool = await _spool_with(spool_settings, records)
    counts = flush_all(spool_settings, owned=[spool])
    assert (counts["rows"], counts["rejected_rows"]) == (1, 3)
    assert landed_ids(spool_settings) == ["ok"]
    assert len(batches(spool_settings)) == 1
    keys = store_for(spool_settings).list("rejected/")
    assert any(key.startswith(f"rejected/source={SOURCE}/date=2024-01-01/hour=10/") for key in keys)
    assert any(key.startswith("rejected/source=_invalid/") for key in keys)
    rejected = landed(spool_settings, "rejected/").to_pylist()
    assert rejected[0].keys() == {"source_id", "received_at", "code", "reason", "message"}
    by_code = {row["code"]: row for row in rejected}
    assert by_code["no_user_anon_id"]["reason"] == reason["reason"]
    assert orjson.loads(by_code["no_user_anon_id"]["message"])["messageId"] == "bad"
    assert by_code["invalid_envelope"]["source_id"] == SOURCE
    assert by_code["invalid_source"]["source_id"] == "_invalid"
    await spool.close()


async def test_envelope_columns_come_from_the_message(spool_settings: Settings) -> None:
    message = record(
        message_id="m-1",
        userId=42,
        anonymousId="anon",
        sentAt="2024-01-01T10:14:59.500Z",
        originalTimestamp="2024-01-01T12:14:58+02:00",
        timestamp="not a time",
        type="page",
        name="Home",
        category="Docs",
        context={"ip": "127.0.0.1"},
    )
    spool = await _spool_with(spool_settings, [message])
    flush_all(spool_settings, owned=[spool])
    [row] = landed(spool_settings).to_pylist()
    utc = UTC
    assert row["message_id"] == "m-1" and row["type"] == "page" and row["source_id"] == SOURCE
    assert row["user_id"] == "42" and row["anonymous_id"] == "anon"
    assert (row["name"], row["category"], row["channel"]) == ("Home", "Docs", "server")
    assert row["received_at"] == datetime(2024, 1, 1, 10, 15, tzinfo=utc)
    assert row["sent_at"] == datetime(2024, 1, 1, 10, 14, 59, 500000, tzinfo=utc)
    assert row["original_timestamp"] == datetime(2024, 1, 1, 10, 14, 58, tzinfo=utc)
    assert row["timestamp"] == row["received_at"]  # unreadable -> time of arrival
    assert orjson.loads(row["message"]) == orjson.loads(message)["message"]
    await spool.close()


def test_fast_and_fallback_parsers_agree() -> None:
    records = [
        record(message_id="a", userId={"nested": [1, 2]}, event=True),
        record(message_id="b", rejected={"code": "c", "reason": "r"}),
        orjson.dumps({"sourceId": 5, "receivedAt": 7, "rejected": "x"}),
        orjson.dumps({"sourceId": SOURCE, "receivedAt": "2024-01-01T00:00:00Z", "message": "text"}),
        record(message_id="c", properties={"big": 12345678901234567, "u": 'é😀 "q"\n'}),
        b"[1,2]",
        b'"just a string"',
    ]
    assert parse_records(records).equals(python_parse(records))


async def test_a_record_that_is_not_json_lands_as_rejected(spool_settings: Settings) -> None:
    spool = await _spool_with(spool_settings, [record(message_id="fine"), b"\xff not json {"])
    counts = flush_all(spool_settings, owned=[spool])
    assert (counts["rows"], counts["rejected_rows"]) == (1, 1)
    [bad] = landed(spool_settings, "rejected/").to_pylist()
    assert bad["code"] == "unreadable_record"
    await spool.close()


async def test_a_running_flusher_lands_orphaned_slots(spool_settings: Settings) -> None:
    dead = await _spool_with(spool_settings, [record(message_id="orphaned")])
    await dead.close()  # no flusher ran: its segment stays behind, its slot lock is free
    assert segment.list_segments(dead.slot_dir)
    blocker = Spool.open(spool_settings)  # takes slot 0 again, so the orphan must be elsewhere
    survivor = Spool.open(spool_settings)
    await blocker.close()
    assert survivor.slot != blocker.slot
    await survivor.start_flusher()
    # Bounded wait for the orphan scan, which runs in the landing child: starting it (imports of
    # DuckDB and pyarrow) takes seconds on a loaded CI machine.
    for _ in range(1200):
        if landed_ids(spool_settings):
            break
        await asyncio.sleep(0.05)
    assert landed_ids(spool_settings) == ["orphaned"]
    await survivor.close()

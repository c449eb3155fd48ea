"""The spool's append path: group commit, per-process slots, sealing, and disk errors -> 503."""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from typing import Any

import pytest

from eventyard.collector import segment
from eventyard.collector import spool as spool_module
from eventyard.collector.aio_sync import AioSync
from eventyard.collector.flusher import flush_all
from eventyard.collector.spool import Spool, SpoolUnavailable
from eventyard.settings import Settings

from .helpers import landed_ids, record


async def test_concurrent_appends_share_fsyncs(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real_fdatasync = os.fdatasync

    def counting_fdatasync(fd: int) -> None:
        nonlocal calls
        calls += 1
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", counting_fdatasync)
    spool = Spool.open(spool_settings)
    await asyncio.gather(*(spool.append([record(message_id=f"m-{i}")]) for i in range(300)))
    await asyncio.gather(*(spool.append([record(message_id=f"n-{i}")]) for i in range(300)))
    assert spool.stats()["appended_records"] == 600
    assert calls == spool.stats()["fsyncs"]
    assert calls <= 600 / 20, f"{calls} fsyncs for 600 concurrent appends: no group commit"
    await spool.close()
    flush_all(spool_settings)
    assert len(landed_ids(spool_settings)) == 600


async def test_each_open_spool_claims_its_own_slot_and_a_freed_slot_is_reclaimed(
    spool_settings: Settings,
) -> None:
    first = Spool.open(spool_settings)
    second = Spool.open(spool_settings)
    assert (first.slot, second.slot) == (0, 1)
    with pytest.raises(SpoolUnavailable):
        Spool.open(spool_settings, slot=0)
    await first.close()
    again = Spool.open(spool_settings)
    assert again.slot == 0
    await again.close()
    await second.close()


async def test_seal_by_size_starts_new_segments(spool_settings: Settings) -> None:
    small = spool_settings.model_copy(update={"flush_max_bytes": 2048})
    spool = Spool.open(small)
    for i in range(10):
        await spool.append([record(message_id=f"m-{i}-{j}") for j in range(3)])
    sealed = spool.sealed_segments()
    assert len(sealed) >= 3
    assert all((spool.slot_dir / name).stat().st_size >= 2048 for name in sealed)
    await spool.close()
    assert flush_all(small)["rows"] == 30


async def test_seal_by_age_lands_without_an_explicit_flush(spool_settings: Settings) -> None:
    quick = spool_settings.model_copy(update={"flush_interval_seconds": 0.1})
    spool = Spool.open(quick)
    await spool.start_flusher()
    await spool.append([record(message_id="aged")])
    for _ in range(1200):  # bounded wait (60 s) for the background flusher, not a timing assertion
        if spool.stats()["flushed_rows"]:  # counted once landed, recorded and deleted
            break
        await asyncio.sleep(0.05)
    assert spool.stats()["flushed_rows"] == 1
    assert landed_ids(quick) == ["aged"]
    await spool.close()


def _raise_async(code: int) -> Any:
    async def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


def _raise(code: int) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("target", "code"),
    [
        pytest.param("write", errno.ENOSPC, id="write-ENOSPC"),
        pytest.param("fsync", errno.EIO, id="fsync-EIO"),
        pytest.param("aio-fsync", errno.EIO, id="aio-fsync-EIO"),
        pytest.param("open", errno.EROFS, id="new-segment-EROFS"),
        pytest.param("partial", errno.ENOSPC, id="partial-write-ENOSPC"),
    ],
)
async def test_disk_errors_refuse_the_append_and_recover(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch, target: str, code: int
) -> None:
    spool = Spool.open(
        spool_settings.model_copy(update={"spool_fsync": "aio" if target == "aio-fsync" else "blocking"})
    )
    await spool.append([record(message_id="before")])
    if target == "open":
        await spool.seal()  # the next append must create a segment, which fails
    with monkeypatch.context() as patch:
        if target == "write":
            patch.setattr(segment, "write_at", _raise(code))
        elif target == "fsync":
            patch.setattr(os, "fdatasync", _raise(code))
        elif target == "aio-fsync":  # the completion reports the error
            patch.setattr(AioSync, "sync", _raise_async(code))
        elif target == "open":
            patch.setattr(os, "open", _raise(code))
        else:
            real_write_at = segment.write_at

            def half_then_fail(fd: int, data: bytes, offset: int) -> None:
                real_write_at(fd, data[: len(data) // 2], offset)
                raise OSError(code, os.strerror(code))

            patch.setattr(segment, "write_at", half_then_fail)
        with pytest.raises(SpoolUnavailable):
            await spool.append([record(message_id="refused")])
        assert not spool.healthy()
    await spool.append([record(message_id="after")])
    assert spool.healthy()
    await spool.close()
    flush_all(spool_settings)
    # The refused event was never acknowledged; it must not be half-landed or block the others.
    assert sorted(landed_ids(spool_settings)) == ["after", "before"]


async def test_probe_restores_health_without_traffic(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool.open(spool_settings)
    with monkeypatch.context() as patch:
        patch.setattr(segment, "write_at", _raise(errno.ENOSPC))
        with pytest.raises(SpoolUnavailable):
            await spool.append([record()])
        await spool.probe()
        assert not spool.healthy()
    await spool.probe()
    assert spool.healthy()
    await spool.close()


async def test_a_closed_spool_refuses_appends(spool_settings: Settings) -> None:
    spool = Spool.open(spool_settings)
    await spool.close()
    with pytest.raises(SpoolUnavailable):
        await spool.append([record()])
    assert not spool.healthy()


def test_an_unusable_spool_directory_is_reported(spool_settings: Settings) -> None:
    blocker = spool_settings.home / "not-a-dir"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the spool directory should be")
    with pytest.raises(SpoolUnavailable):
        Spool.open(spool_settings.model_copy(update={"spool_dir": blocker}))


@pytest.mark.parametrize("aio", [True, False], ids=["aio-fsync", "blocking-fsync"])
async def test_small_plain_group_commits_run_on_the_loop_and_the_rest_on_the_io_thread(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch, aio: bool
) -> None:
    calls: list[tuple[str, int]] = []
    blocking_on_loop: list[int] = []
    real_durably, real_inline = Spool._write_durably, Spool._write_inline
    loop_thread = threading.current_thread().name

    def tracking_durably(self: Spool, data: bytes) -> None:
        if threading.current_thread().name == loop_thread:
            blocking_on_loop.append(len(data))  # an inline commit that blocks in fdatasync
        else:
            calls.append((threading.current_thread().name, len(data)))
        real_durably(self, data)

    async def tracking_inline(self: Spool, data: bytes) -> None:
        calls.append((loop_thread, len(data)))
        await real_inline(self, data)

    monkeypatch.setattr(Spool, "_write_durably", tracking_durably)
    monkeypatch.setattr(Spool, "_write_inline", tracking_inline)
    spool = Spool.open(spool_settings.model_copy(update={"spool_fsync": "aio" if aio else "blocking"}))
    await spool.append([record(message_id="first")])  # opens a segment: I/O thread
    await spool.append([record(message_id="second")])  # plain and small: on the loop
    # Six requests in one group, still plain and small: on the loop too, however many records
    # (a backlog must not push groups onto the slower I/O-thread path, decision 0037).
    await asyncio.gather(*(spool.append([record(message_id=f"c-{i}")]) for i in range(6)))
    big = [record(message_id=f"big-{i}", properties={"pad": "x" * 2000}) for i in range(40)]
    assert sum(len(r) for r in big) > spool_module.INLINE_GROUP_BYTES
    await spool.append(big)
    await spool.seal()
    await spool.append([record(message_id="after-seal")])  # a new segment: I/O thread again
    threads = [name for name, _ in calls]
    assert threads[0] != loop_thread and threads[0].startswith("spool-io")
    assert threads[1] == loop_thread
    assert threads[2] == loop_thread and calls[2][1] > 5 * calls[1][1], "one group of six"
    assert all(name.startswith("spool-io") for name in threads[3:5]), "too large; a new segment"
    assert len(threads) == 5
    # With AIO the loop never blocks in fdatasync; without it, each inline commit does.
    assert len(blocking_on_loop) == (0 if aio else 2)
    assert spool.counters["fsyncs"] == 5
    await spool.close()
    flush_all(spool_settings)
    assert len(landed_ids(spool_settings)) == 49

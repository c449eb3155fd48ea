"""Landing in a child process of the worker, and spare segments prepared off the hot path."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eventyard.collector import flusher as flusher_module
from eventyard.collector import segment
from eventyard.collector.slots import SPARE_PREFIX
from eventyard.collector.spool import SPARE_CHUNK_BYTES, Spool
from eventyard.settings import Settings

from .helpers import landed_ids, record


async def _until(condition: Any, seconds: float = 60.0) -> None:
    """Bounded wait for the background flusher (not a timing assertion)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


async def _one_landed(settings: Settings, message_id: str) -> tuple[Spool, Settings]:
    """A live spool flushing every 0.1 s, and one record it has landed; the spool and its settings."""
    quick = settings.model_copy(update={"flush_interval_seconds": 0.1})
    spool = Spool.open(quick)
    await spool.start_flusher()
    await spool.append([record(message_id=message_id)])
    await _until(lambda: landed_ids(quick) == [message_id])
    return spool, quick


def _in_process_conversion_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_here(*args: object, **kwargs: object) -> object:
        raise AssertionError("the live flush loop must not convert segments in the worker")

    monkeypatch.setattr(flusher_module, "build_objects", not_here)


async def test_the_flush_loop_lands_in_a_child_process(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = spool_settings.model_copy(update={"flush_interval_seconds": 0.1})
    spool = Spool.open(quick)
    _in_process_conversion_forbidden(monkeypatch)
    await spool.start_flusher()
    await spool.append([record(message_id=f"m-{i}") for i in range(7)])
    await _until(lambda: spool.stats()["flushed_rows"] == 7)
    assert spool.stats()["flushed_rows"] == 7  # the child's counters reach the worker's stats
    assert sorted(landed_ids(quick)) == [f"m-{i}" for i in range(7)]
    assert spool.lander is not None and spool.lander.pids and os.getpid() not in spool.lander.pids
    assert spool.sealed_segments() == []
    monkeypatch.undo()
    await spool.close()


async def test_a_killed_landing_process_is_replaced_and_nothing_is_lost(spool_settings: Settings) -> None:
    spool, quick = await _one_landed(spool_settings, "first")
    assert spool.lander is not None
    # Both children may run by now (the orphan scan is background work): kill whichever do.
    killed = spool.lander.pids
    assert killed
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    await spool.append([record(message_id="second")])
    await _until(lambda: sorted(landed_ids(quick)) == ["first", "second"])
    assert sorted(landed_ids(quick)) == ["first", "second"]
    assert spool.lander.pids and not set(killed) & set(spool.lander.pids)
    assert spool.lander.restarts >= 1
    await spool.close()


async def test_closing_the_spool_stops_its_landing_process(spool_settings: Settings) -> None:
    spool, _ = await _one_landed(spool_settings, "m")
    assert spool.lander is not None
    pids = spool.lander.pids
    assert pids
    await spool.close()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


async def test_rotation_renames_a_spare_prepared_off_the_hot_path(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id=f"a-{i}") for i in range(50)])
    await spool.seal()
    await spool.after_seal()
    [spare] = [p for p in spool.slot_dir.iterdir() if p.name.startswith(SPARE_PREFIX)]
    spare_size = spare.stat().st_size
    assert spare_size >= 64 * 1024 and not segment.list_segments(spool.slot_dir)[1:]

    writes: list[tuple[int, int]] = []
    real_write_at = segment.write_at

    def counting_write_at(fd: int, data: bytes, offset: int) -> None:
        writes.append((len(data), offset))
        real_write_at(fd, data, offset)

    monkeypatch.setattr(segment, "write_at", counting_write_at)
    await spool.append([record(message_id="b")])
    monkeypatch.undo()
    assert len(writes) == 1 and writes[0][1] == 0, "the first group commit wrote only its frames"
    assert not spare.exists()
    active = [n for n in segment.list_segments(spool.slot_dir) if n not in spool.sealed_segments()]
    assert (spool.slot_dir / active[0]).stat().st_size == spare_size
    await spool.after_seal()  # a new spare for the next rotation; close() removes it
    await spool.close()
    assert not [p for p in spool.slot_dir.iterdir() if p.name.startswith(SPARE_PREFIX)]
    from eventyard.collector.flusher import flush_all

    assert flush_all(spool_settings)["rows"] == 51


async def test_a_spare_holds_a_segment_like_the_last_one_so_the_hot_path_never_zero_fills(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the old 4 MiB cap: the next segment of the same size fits its spare, no zero-fill step."""
    padding = "p" * 1000
    rounds = [[record(message_id=f"{r}-{i}", note=padding) for i in range(100)] for r in range(60)]
    spool = Spool.open(spool_settings)
    for batch in rounds[:30]:
        await spool.append(batch)
    first_size = spool._active_size
    assert first_size > 3 * 1024 * 1024
    await spool.seal()

    syncs: list[int] = []
    real_fdatasync = os.fdatasync

    def counting_fdatasync(fd: int) -> None:
        syncs.append(fd)
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", counting_fdatasync)
    await spool.after_seal()
    monkeypatch.undo()
    [spare] = [p for p in spool.slot_dir.iterdir() if p.name.startswith(SPARE_PREFIX)]
    spare_size = spare.stat().st_size
    assert spare_size >= first_size * 5 // 4 and spare_size > 4 * 1024 * 1024
    assert len(syncs) == -(-spare_size // SPARE_CHUNK_BYTES), "written and synced piece by piece"

    writes: list[tuple[int, int]] = []
    real_write_at = segment.write_at

    def recording_write_at(fd: int, data: bytes, offset: int) -> None:
        writes.append((offset, len(data)))
        real_write_at(fd, data, offset)

    monkeypatch.setattr(segment, "write_at", recording_write_at)
    for batch in rounds[30:]:
        await spool.append(batch)
    monkeypatch.undo()
    # Only frames, back to back from offset 0: no zero-fill write ahead of the data.
    assert [offset for offset, _ in writes] == [sum(n for _, n in writes[:i]) for i in range(len(writes))]
    assert spool._allocated == spare_size
    await spool.close()
    from eventyard.collector.flusher import flush_all

    assert flush_all(spool_settings)["rows"] == 6000


async def test_a_spare_left_by_a_crash_is_removed_on_recovery(spool_settings: Settings) -> None:
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id="kept")])
    await spool.after_seal()
    assert [p for p in spool.slot_dir.iterdir() if p.name.startswith(SPARE_PREFIX)]
    os.close(spool._lock_fd)  # "crash": the kernel releases the lock, nothing is cleaned up
    reopened = Spool.open(spool_settings)
    assert reopened.slot_dir == spool.slot_dir
    assert not [p for p in reopened.slot_dir.iterdir() if p.name.startswith(SPARE_PREFIX)]
    await reopened.close()
    from eventyard.collector.flusher import flush_all

    assert flush_all(spool_settings)["rows"] == 1


async def test_frames_in_a_spare_whose_rename_was_lost_are_recovered(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renamed spare takes acknowledged frames without a directory fsync on the hot path."""
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id="old")])
    await spool.seal()
    await spool.after_seal()
    [spare] = [p for p in spool.slot_dir.iterdir() if p.name.startswith(SPARE_PREFIX)]
    dir_syncs: list[Path] = []
    monkeypatch.setattr(segment, "fsync_dir", dir_syncs.append)
    await spool.append([record(message_id="new-1"), record(message_id="new-2")])
    monkeypatch.undo()
    assert dir_syncs == [], "the first group commit into a renamed spare syncs no directory"
    active = spool._active_name
    assert active is not None and not spare.exists()
    # Power lost before the journal committed the rename: the directory shows the spare's name.
    os.rename(spool.slot_dir / active, spare)
    os.close(spool._lock_fd)
    reopened = Spool.open(spool_settings)
    assert reopened.slot_dir == spool.slot_dir
    assert not [p for p in reopened.slot_dir.iterdir() if p.name.startswith(SPARE_PREFIX)]
    names = segment.list_segments(reopened.slot_dir)
    assert (
        len(names) == 2 and segment.read_segment(reopened.slot_dir / names[1]).records[0].find(b"new-1") > 0
    )
    await reopened.close()
    from eventyard.collector.flusher import flush_all

    assert flush_all(spool_settings)["rows"] == 3
    assert sorted(landed_ids(spool_settings)) == ["new-1", "new-2", "old"]


async def test_flushing_makes_segment_names_durable_before_landing(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id="m")])
    await spool.seal()
    events: list[str] = []
    real_fsync_dir, real_flush_segment = segment.fsync_dir, flusher_module.flush_segment

    def fsync_dir(path: Path) -> None:
        events.append("fsync_dir")
        real_fsync_dir(path)

    def flush_segment(*args: Any) -> Any:
        events.append("land")
        return real_flush_segment(*args)

    monkeypatch.setattr(segment, "fsync_dir", fsync_dir)
    monkeypatch.setattr(flusher_module, "flush_segment", flush_segment)
    assert spool.flusher.flush(spool.sealed_segments()).rows == 1
    monkeypatch.undo()
    assert events[:2] == ["fsync_dir", "land"]
    await spool.close()


def _thread_policies(pid: int) -> list[tuple[int, int]]:
    """Scheduling policy and nice value of every thread of a process."""
    found: list[tuple[int, int]] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        found.append((int(fields[38]), int(fields[16])))  # policy (0 other, 5 idle), nice
    return found


async def test_background_landing_runs_in_the_idle_class_and_flushes_someone_waits_for_do_not(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventyard.collector import flush_loop

    monkeypatch.setattr(flush_loop, "BACKGROUND_MIN_BYTES", 0)  # even one record is "big"
    spool, quick = await _one_landed(spool_settings, "m")
    lander = spool.lander
    assert lander is not None and lander.pid is not None
    assert set(_thread_policies(lander.pid)) == {(os.SCHED_IDLE, 10)}, "every thread, pools included"
    assert lander.pids == [lander.pid], "no normal-priority child while landing keeps up"

    await spool.append([record(message_id="n")])
    await spool.seal()
    counts = await lander.flush(spool.sealed_segments(), force=True, background=False)
    assert counts.rows == 1 and sorted(landed_ids(quick)) == ["m", "n"]
    [normal] = [pid for pid in lander.pids if pid != lander.pid]
    assert set(_thread_policies(normal)) == {(os.SCHED_OTHER, 10)}
    assert spool.stats()["flushed_rows"] == 2, "both children's counters reach the worker's stats"
    await spool.close()


async def test_a_starved_background_flush_is_killed_and_landing_goes_on_at_normal_priority(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventyard.collector import flush_loop

    monkeypatch.setattr(flush_loop, "BACKGROUND_MIN_BYTES", 0)
    quick = spool_settings.model_copy(update={"flush_interval_seconds": 0.1})
    spool = Spool.open(quick)
    await spool.start_flusher()
    assert spool.lander is not None
    spool.lander.background_flush_limit = 0.0  # every background flush "starves"
    await spool.append([record(message_id=f"m-{i}") for i in range(5)])
    lander = spool.lander
    await _until(lambda: not spool.sealed_segments() and not lander.starved and spool.active_age() == 0)
    assert sorted(landed_ids(quick)) == [f"m-{i}" for i in range(5)]
    assert spool.sealed_segments() == []
    assert lander.starved_flushes >= 1
    assert lander.starved is False, "cleared by the normal-priority flush that landed them"
    await spool.close()


def test_landing_is_behind_when_the_oldest_sealed_segment_waits_long() -> None:
    from eventyard.collector.flush_loop import landing_behind

    now = 1_700_000_000 * 10**9

    def name(seconds_ago: float) -> str:
        return f"seg-{now - int(seconds_ago * 1e9):020d}-0000abcd.log"

    assert not landing_behind([], 5.0, now)
    assert not landing_behind([name(6)], 5.0, now), "one segment, sealed after its interval"
    assert not landing_behind([name(11), name(6)], 5.0, now)
    assert not landing_behind([name(t / 2) for t in range(20, 0, -1)], 5.0, now), "a 10 s burst"
    assert landing_behind([name(16)], 5.0, now), "opened three intervals ago"
    assert not landing_behind([name(9)], 0.1, now), "and at least ten seconds ago"
    assert landing_behind([name(11)], 0.1, now)


async def test_small_flushes_land_at_once_at_normal_priority(spool_settings: Settings) -> None:
    """A quiet collector's few events need no idle-class child that a busy machine could starve."""
    spool, _ = await _one_landed(spool_settings, "m")
    lander = spool.lander
    assert lander is not None
    # The orphan scan (background work) may have started the idle-class child by now; the
    # record itself was landed by the normal one (whose answer may trail the landed file).
    await _until(lambda: lander._normal.counters.get("flushed_rows") == 1)
    assert lander._normal.counters.get("flushed_rows") == 1 and lander._normal.pid is not None
    assert set(_thread_policies(lander._normal.pid)) == {(os.SCHED_OTHER, 10)}
    await spool.close()


async def test_the_background_landing_child_starts_with_the_flusher_not_at_the_first_flush(
    spool_settings: Settings,
) -> None:
    """Its fork and imports then happen as the worker starts, not among the first requests."""
    spool = Spool.open(spool_settings)  # flush interval 5 s by default: nothing sealed or flushed
    await spool.start_flusher()
    await _until(lambda: spool.lander is not None and spool.lander.pid is not None, seconds=30)
    lander = spool.lander
    assert lander is not None and lander.pid is not None and lander.pids == [lander.pid]
    await _until(lambda: set(_thread_policies(lander.pid or 0)) == {(os.SCHED_IDLE, 10)}, seconds=30)
    assert set(_thread_policies(lander.pid)) == {(os.SCHED_IDLE, 10)}
    assert spool.stats()["flushed_rows"] == 0 and not landed_ids(spool_settings)
    await spool.close()


def test_a_landing_child_imports_the_landing_code_only_after_lowering_its_priority() -> None:
    """``python -m eventyard.collector.lander`` runs the module's imports before ``main``: they
    must not include the landing code (about 0.7 s of CPU), which would run at the worker's
    priority in every child that starts."""
    heavy = ("sqlalchemy", "pydantic", "duckdb", "pyarrow", "boto3", "eventyard.collector.flusher")
    probe = f"import sys, eventyard.collector.lander; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"

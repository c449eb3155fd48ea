"""``aio_sync``: fdatasync through Linux AIO, completed on the event loop through an eventfd."""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import pytest

from eventyard.collector import aio_sync
from eventyard.collector.aio_sync import AioSync, open_aio_sync
from eventyard.collector.spool import Spool
from eventyard.settings import Settings

from .helpers import record


def _aio() -> AioSync:
    aio = open_aio_sync(asyncio.get_running_loop())
    assert aio is not None, "Linux AIO is available on the machines the collector runs on"
    return aio


async def test_fsyncs_complete_on_the_loop_many_at_once(tmp_path: Path) -> None:
    aio = _aio()
    fds = [os.open(tmp_path / f"f{i}", os.O_RDWR | os.O_CREAT, 0o644) for i in range(10)]
    try:
        for fd in fds:
            os.pwrite(fd, b"x" * 600, 0)
        await asyncio.wait_for(asyncio.gather(*(aio.sync(fd) for fd in fds)), 10)
        await asyncio.wait_for(aio.sync(fds[0]), 10)  # and again, on the same eventfd
    finally:
        for fd in fds:
            os.close(fd)
        aio.close()


async def test_an_fsync_that_cannot_be_made_raises_like_fdatasync(tmp_path: Path) -> None:
    aio = _aio()
    read_end, write_end = os.pipe()
    fd = os.open(tmp_path / "closed", os.O_RDWR | os.O_CREAT, 0o644)
    os.close(fd)
    try:
        with pytest.raises(OSError) as bad_fd:
            await aio.sync(fd)
        assert bad_fd.value.errno == errno.EBADF
        with pytest.raises(OSError) as pipe:
            await asyncio.wait_for(aio.sync(write_end), 10)
        assert pipe.value.errno == errno.EINVAL
    finally:
        os.close(read_end)
        os.close(write_end)
        aio.close()


async def test_close_releases_the_eventfd() -> None:
    aio = _aio()
    eventfd = aio._eventfd
    aio.close()
    with pytest.raises(OSError):
        os.fstat(eventfd)


async def test_where_aio_is_unavailable_there_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aio_sync.platform, "machine", lambda: "sparc64")
    assert open_aio_sync(asyncio.get_running_loop()) is None


async def test_the_spool_blocks_in_fdatasync_unless_told_otherwise(spool_settings: Settings) -> None:
    assert spool_settings.spool_fsync == "blocking"
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id="a")])
    await spool.append([record(message_id="b")])  # inline
    assert spool._aio is None and spool._aio_tried
    await spool.close()


async def test_an_append_is_answered_only_once_its_aio_fsync_completed(
    spool_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Durability: the 200 follows the fsync, on the AIO path too."""
    release = asyncio.Event()
    synced: list[int] = []
    real_sync = AioSync.sync

    async def held_sync(self: AioSync, fd: int) -> None:
        await release.wait()
        await real_sync(self, fd)
        synced.append(fd)

    spool = Spool.open(spool_settings.model_copy(update={"spool_fsync": "aio"}))
    await spool.append([record(message_id="opens-the-segment")])  # I/O thread, blocking fsync
    monkeypatch.setattr(AioSync, "sync", held_sync)
    append = asyncio.ensure_future(spool.append([record(message_id="inline")]))
    await asyncio.sleep(0.2)
    assert not append.done(), "not answered while its fsync is in flight"
    release.set()
    await asyncio.wait_for(append, 10)
    assert len(synced) == 1
    await spool.close()

"""``fdatasync`` without blocking the event loop: Linux AIO (``IOCB_CMD_FDSYNC``) and an eventfd.

Decision 0040: at 10,000 req/s a worker's event loop spent about 40% of its time blocked in the
``fdatasync`` of its inline group commits, so any other work on the machine tipped it into
queueing. Handing the fsync to a thread costs more (GIL hand-offs, decision 0037). Linux AIO
needs neither: ``io_submit`` of an ``IOCB_CMD_FDSYNC`` returns at once, the kernel runs the
fsync on its own workqueue (any filesystem, Linux 4.18+), and posts the completion to an
eventfd that the event loop watches like a socket. Docker's default seccomp profile allows
these calls (unlike ``io_uring``).

Raw system calls through ctypes: no library to install. Where AIO is unavailable (another OS
or architecture, seccomp, ``fs.aio-max-nr`` exhausted) ``open_aio_sync`` returns None and the
spool blocks in ``fdatasync`` as before.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import logging
import os
import platform
import sys

log = logging.getLogger(__name__)

# System call numbers of io_setup, io_destroy, io_getevents, io_submit.
_SYSCALLS = {
    "x86_64": (206, 207, 208, 209),
    "aarch64": (0, 1, 4, 2),
}
_IOCB_CMD_FDSYNC = 3
_IOCB_FLAG_RESFD = 1
_MAX_IN_FLIGHT = 64


class _Iocb(ctypes.Structure):
    """``struct iocb`` of linux/aio_abi.h (little-endian field order)."""

    _fields_ = [
        ("aio_data", ctypes.c_uint64),
        ("aio_key", ctypes.c_uint32),
        ("aio_rw_flags", ctypes.c_int32),
        ("aio_lio_opcode", ctypes.c_uint16),
        ("aio_reqprio", ctypes.c_int16),
        ("aio_fildes", ctypes.c_uint32),
        ("aio_buf", ctypes.c_uint64),
        ("aio_nbytes", ctypes.c_uint64),
        ("aio_offset", ctypes.c_int64),
        ("aio_reserved2", ctypes.c_uint64),
        ("aio_flags", ctypes.c_uint32),
        ("aio_resfd", ctypes.c_uint32),
    ]


class _IoEvent(ctypes.Structure):
    """``struct io_event``: ``res`` is 0 or a negative errno."""

    _fields_ = [
        ("data", ctypes.c_uint64),
        ("obj", ctypes.c_uint64),
        ("res", ctypes.c_int64),
        ("res2", ctypes.c_int64),
    ]


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class AioSync:
    """One AIO context and eventfd, owned by one event loop: ``await sync(fd)`` = fdatasync."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, ctx: ctypes.c_ulong, eventfd: int, calls: tuple[int, ...]
    ):
        self.loop = loop
        self._ctx = ctx
        self._eventfd = eventfd
        self._setup, self._destroy, self._getevents, self._submit = calls
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._next_id = 0
        self._events = (_IoEvent * _MAX_IN_FLIGHT)()
        self._no_wait = _Timespec(0, 0)
        loop.add_reader(eventfd, self._completed)

    async def sync(self, fd: int) -> None:
        """``fdatasync(fd)``, awaited: raises ``OSError`` exactly as the blocking call would."""
        self._next_id += 1
        request_id = self._next_id
        iocb = _Iocb(
            aio_data=request_id,
            aio_lio_opcode=_IOCB_CMD_FDSYNC,
            aio_fildes=fd,
            aio_flags=_IOCB_FLAG_RESFD,
            aio_resfd=self._eventfd,
        )
        pointer = ctypes.pointer(iocb)
        done: asyncio.Future[None] = self.loop.create_future()
        self._waiting[request_id] = done
        if _libc.syscall(self._submit, self._ctx, ctypes.c_long(1), ctypes.byref(pointer)) != 1:
            del self._waiting[request_id]
            code = ctypes.get_errno()
            raise OSError(code, f"io_submit(fdatasync): {os.strerror(code)}")
        await done

    def _completed(self) -> None:
        """The eventfd is readable: collect every finished fsync and answer its waiter."""
        try:
            os.eventfd_read(self._eventfd)
        except BlockingIOError:
            return
        while True:
            got = _libc.syscall(
                self._getevents,
                self._ctx,
                ctypes.c_long(0),
                ctypes.c_long(_MAX_IN_FLIGHT),
                self._events,
                ctypes.byref(self._no_wait),
            )
            if got <= 0:
                if got < 0 and ctypes.get_errno() != errno.EINTR:
                    log.error("io_getevents failed: %s", os.strerror(ctypes.get_errno()))
                return
            for event in self._events[:got]:
                done = self._waiting.pop(event.data, None)
                if done is None or done.done():
                    continue
                if event.res < 0:
                    done.set_exception(OSError(-event.res, f"fdatasync: {os.strerror(-event.res)}"))
                else:
                    done.set_result(None)
            if got < _MAX_IN_FLIGHT:
                return

    def close(self) -> None:
        """Stop watching the eventfd and release the AIO context (waits for in-flight fsyncs)."""
        if not self.loop.is_closed():
            self.loop.remove_reader(self._eventfd)
        _libc.syscall(self._destroy, self._ctx)
        os.close(self._eventfd)
        for done in self._waiting.values():
            if not done.done():
                done.set_exception(OSError(errno.ECANCELED, "spool closed while an fsync was in flight"))
        self._waiting.clear()


def open_aio_sync(loop: asyncio.AbstractEventLoop) -> AioSync | None:
    """An ``AioSync`` for this loop, or None where Linux AIO cannot be used (then block instead)."""
    calls = _SYSCALLS.get(platform.machine())
    if not sys.platform.startswith("linux") or calls is None:
        return None
    ctx = ctypes.c_ulong(0)
    if _libc.syscall(calls[0], ctypes.c_long(_MAX_IN_FLIGHT), ctypes.byref(ctx)) != 0:
        log.info("Linux AIO unavailable (%s): the spool blocks in fdatasync", os.strerror(ctypes.get_errno()))
        return None
    try:
        eventfd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    except OSError:
        _libc.syscall(calls[1], ctx)
        return None
    return AioSync(loop, ctx, eventfd, calls)

"""uvicorn with a once-a-second housekeeping tick: what Houston, the collector and (paced) Airflow's
API server run on.

uvicorn's ``Server.main_loop`` wakes ten times a second to run ``on_tick``, although the work
there is once-a-second (the ``Date`` header, the ``callback_notify`` ping) or a flag check
(``should_exit``, ``limit_max_requests``). On an idle stack those wake-ups are most of each
web service's CPU. ``QuietServer`` runs the same ``on_tick`` once a second — passing counters
that are multiples of ten, so the once-a-second work runs on every tick — and a stop signal
wakes it at once, so Ctrl-C is as quick as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

TICK_SECONDS = 1.0
# uvicorn's on_tick does its once-a-second work when ``counter % 10 == 0``; it wraps at 864000.
_TICKS_PER_SECOND = 10
_COUNTER_WRAP = 864000
STARTUP_FAILURE = 3  # uvicorn's exit code when the server did not start


class QuietServer(uvicorn.Server):
    """``uvicorn.Server`` whose main loop ticks once a second instead of ten times."""

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[QuietServer], None] | None = None
    ) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        # Called once the app's lifespan start-up finished and the server listens: what a
        # supervisor (``runtime/workers.py``) or a ready file waits for.
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up, then ``on_started`` if the server did start."""
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started(self)

    async def main_loop(self) -> None:
        """Run ``on_tick`` every ``TICK_SECONDS`` (or at once after a stop signal) until it says exit."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + _TICKS_PER_SECOND) % _COUNTER_WRAP
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """uvicorn's signal handler, plus an immediate wake-up of the main loop."""
        super().handle_exit(sig, frame)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)


def run(app: Any, on_started: Callable[[QuietServer], None] | None = None, **kwargs: Any) -> None:
    """``uvicorn.run(app, **kwargs)`` on a ``QuietServer`` (one process; with ``workers`` > 1 uvicorn's own).

    Same start-up as ``uvicorn.run`` for a single process: the app is loaded first, and a server
    that did not start exits with uvicorn's start-up failure code. Several workers with their
    own listening sockets: ``eventyard.runtime.workers``.
    """
    config = uvicorn.Config(app, **kwargs)
    if config.workers > 1 or config.reload:
        uvicorn.run(app, **kwargs)
        return
    config.load_app()
    server = QuietServer(config, on_started)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)

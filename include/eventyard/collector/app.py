"""The collector's ASGI application: ``create_app(settings)``.

Tracking routes (``/v1/track`` ... ``/v1/batch``, short client routes, pixel, ``/v1/m``) are
dispatched by a dict lookup to a lean ASGI handler; everything else (settings, analytics.js,
health, metrics, debugger) goes to a small Starlette app. The lifespan opens this worker's
spool slot and starts its flusher before the first request, and closes both on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from eventyard.collector import metrics, routes_debugger, routes_tracking, routes_web
from eventyard.collector.debugger import DebuggerRing
from eventyard.collector.device_plugins import DevicePluginCache
from eventyard.collector.runtime import CollectorRuntime, SpoolLike
from eventyard.collector.writekeys import WriteKeyCache
from eventyard.db.engine import get_engine
from eventyard.settings import Settings, get_settings

log = logging.getLogger(__name__)
GAUGE_INTERVAL_S = 2.0
SPOOL_RETRY_S = 2.0
# Young-generation threshold while serving (CPython's default is 700): a request's objects die
# by reference counting, so young collections mostly re-scan live long-lived objects; running
# them ten times less often costs a little memory and removes most collector pauses.
GC_GEN0_THRESHOLD = 7000


def settle_garbage_collector() -> None:
    """After start-up: move every object alive now out of the collector's reach, collect rarer.

    ``gc.freeze()`` puts the imported modules, caches and app state into the permanent
    generation, so a full collection no longer walks them (tens of ms in a worker with
    pyarrow and SQLAlchemy loaded). Collected first, so no garbage is frozen with them.
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
    watch_garbage_collector()


class _GcTimer:
    """A ``gc.callbacks`` entry: observes each collection's duration in ``metrics.GC_SECONDS``."""

    def __init__(self) -> None:
        self.started = 0.0
        self.by_generation = [metrics.GC_SECONDS.labels(str(g)) for g in range(3)]

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.by_generation[info["generation"]].observe(time.perf_counter() - self.started)


def watch_garbage_collector() -> None:
    """Time every collection of this process (once; a few microseconds per collection)."""
    if not any(isinstance(callback, _GcTimer) for callback in gc.callbacks):
        gc.callbacks.append(_GcTimer())


SpoolFactory = Callable[[Settings], SpoolLike]


def _open_real_spool(settings: Settings) -> SpoolLike:
    from eventyard.collector.spool import Spool

    return Spool.open(settings)


class CollectorApp:
    """ASGI callable: tracking fast path + Starlette for the rest + the spool lifespan."""

    def __init__(self, settings: Settings, spool_factory: SpoolFactory, *, run_flusher: bool) -> None:
        engine = get_engine(settings)
        self.runtime = CollectorRuntime(
            settings=settings,
            engine=engine,
            keys=WriteKeyCache(engine, settings.writekey_cache_seconds),
            debugger=DebuggerRing(settings.debugger_size, settings.resolved_spool_dir / "debugger"),
            device_plugins=DevicePluginCache(engine, settings, settings.writekey_cache_seconds),
        )
        self._spool_factory = spool_factory
        self._run_flusher = run_flusher
        self.web = Starlette(
            routes=[*routes_web.ROUTES, *routes_debugger.ROUTES],
            exception_handlers={404: routes_web.not_found, 405: routes_web.method_not_allowed},
        )
        self.web.state.runtime = self.runtime
        self._background: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = routes_tracking.normalize_path(scope["path"])
            if routes_tracking.is_tracking_path(path):
                await routes_tracking.handle(self.runtime, path, scope, receive, send)
                return
            await self.web(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.web(scope, receive, send)

    async def startup(self) -> None:
        """Open the spool (replaying what a previous process left), start flusher and publishers.

        A spool that cannot be opened (read-only or full disk) does not stop the worker: it
        answers 503 to events and fails readiness while it retries, so SDKs keep their events.
        """
        loop = asyncio.get_running_loop()
        self._background = [
            loop.create_task(self.runtime.debugger.run_publisher()),
            loop.create_task(self._refresh_gauges()),
            loop.create_task(self._publish_metrics()),
        ]
        if not await self._open_spool():
            self._background.append(loop.create_task(self._retry_open_spool()))
        settle_garbage_collector()

    async def _open_spool(self) -> bool:
        from eventyard.collector.spool import SpoolUnavailable

        try:
            spool = await asyncio.to_thread(self._spool_factory, self.runtime.settings)
        except SpoolUnavailable as exc:
            log.error("spool unavailable, answering 503 until it opens: %s", exc)
            return False
        if self._run_flusher:
            await spool.start_flusher()
        self.runtime.spool = spool
        return True

    async def _retry_open_spool(self) -> None:
        while not await self._open_spool():
            await asyncio.sleep(SPOOL_RETRY_S)

    async def shutdown(self) -> None:
        """Stop background tasks, then close the spool (its last flush runs there)."""
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background = []
        self.runtime.debugger.forget_own_snapshots()
        if self.runtime.spool is not None:
            await self.runtime.spool.close()
            self.runtime.spool = None
        metrics.forget_this_process()

    async def _refresh_gauges(self) -> None:
        while True:
            spool = self.runtime.spool
            if spool is not None:
                try:
                    stats = await asyncio.to_thread(spool.stats)
                    metrics.update_spool_gauges(stats, spool.healthy())
                except Exception as exc:  # metrics must never take the worker down
                    log.warning("cannot read spool stats: %s", exc)
            await asyncio.sleep(GAUGE_INTERVAL_S)

    async def _publish_metrics(self) -> None:
        """Add the request path's pending counts to the shared metrics (``metrics._PendingCounts``)."""
        while True:
            await asyncio.sleep(metrics.PUBLISH_INTERVAL_S)
            try:
                metrics.publish_pending()
            except Exception as exc:  # metrics must never take the worker down
                log.warning("cannot publish metrics: %s", exc)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("collector failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.shutdown()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(
    settings: Settings | None = None,
    *,
    spool_factory: SpoolFactory | None = None,
    run_flusher: bool = True,
) -> CollectorApp:
    """The collector app. ``spool_factory`` replaces the real spool (tests of the API alone)."""
    return CollectorApp(
        settings or get_settings(), spool_factory or _open_real_spool, run_flusher=run_flusher
    )

"""Tiny ASGI apps for the worker runner's tests (``python -m eventyard.runtime.workers --app ...``).

``create_app`` answers every request with the pid of the worker that served it, so a test sees
which worker each connection landed on; ``create_broken_app`` fails its lifespan start-up;
``create_hanging_app`` never finishes it (a database that accepts but never answers).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any


async def _lifespan(receive: Any, send: Any, *, fail: bool, hang: bool = False) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup" and hang:
            await asyncio.Event().wait()
        if message["type"] == "lifespan.startup":
            if fail:
                await send({"type": "lifespan.startup.failed", "message": "the test app refuses to start"})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def pid_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer ``<pid>`` to any request."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send, fail=False)
        return
    body = str(os.getpid()).encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def broken_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Fail the lifespan start-up (as an app whose database or config is unusable does)."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send, fail=True)


def create_app() -> Any:
    """The pid app (factory form, as the collector is started)."""
    return pid_app


def create_broken_app() -> Any:
    """The app that never starts."""
    return broken_app


async def hanging_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Never finish the lifespan start-up."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send, fail=False, hang=True)


def create_hanging_app() -> Any:
    return hanging_app

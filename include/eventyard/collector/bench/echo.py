"""The ceiling: a bare ASGI app that reads the request body and answers ``{"success":true}``.

It runs under exactly the same uvicorn configuration as the collector, so the ratio between
the two says how much of the server's capacity the collector's own work (auth, parsing,
validation, enrichment, fsync'd spool) costs.
"""

from __future__ import annotations

from typing import Any

BODY = b'{"success":true}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Drain the body, answer 200; handle the lifespan protocol so uvicorn starts cleanly."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def create_echo_app() -> Any:
    """Factory form, so both apps are started the same way (``uvicorn --factory``)."""
    return echo_app

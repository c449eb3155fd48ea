"""The collector on a free loopback port, and the simulated players' events sent through the real SDK.

The collector is the real ASGI app served by uvicorn in a background thread; the players talk to
it with ``segment-analytics-python`` exactly as a customer's backend would, only the host changed.
Event shapes follow the seed's 2048 example: each key press is a ``track`` named after the
direction with ``context.page`` of the game and ``properties.anonymousId``; the demo adds the
board's ``score`` and ``maxTile`` so the warehouse can tell how far each game got.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventyard.demo.game import Player
from eventyard.settings import Settings

PAGE = {
    "path": "/2048/",
    "referrer": "",
    "search": "",
    "title": "MetaRouter's 2048",
    "url": "https://astronomerio.github.io/2048/",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_collector(settings: Settings) -> Iterator[str]:
    """Serve the collector on 127.0.0.1:<free port> in a thread; yields its base URL.

    On exit the server shuts down cleanly, which closes the spool (its last flush runs there).
    """
    import uvicorn

    from eventyard.collector.app import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-collector", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the collector did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@dataclass
class Sent:
    """What the SDK was asked to send, and what it reported as failed."""

    tracks: int = 0
    pages: int = 0
    identifies: int = 0
    failures: int = 0

    @property
    def total(self) -> int:
        """All calls."""
        return self.tracks + self.pages + self.identifies


def send_games(players: list[Player], *, host: str, write_key: str) -> Sent:
    """Replay every player's session through one SDK client; waits until everything is delivered."""
    from segment.analytics import Client

    sent = Sent()

    def on_error(error: Exception, batch: list[dict[str, Any]]) -> None:
        sent.failures += len(batch)

    client = Client(
        write_key, host=host, on_error=on_error, max_retries=3, upload_size=250, upload_interval=0.2
    )
    context = {"page": PAGE}
    for player in players:
        anon = player.anonymous_id
        client.page(
            anonymous_id=anon,
            name="2048",
            category="Games",
            properties=PAGE,
            context=context,
            timestamp=player.opened_at,
        )
        sent.pages += 1
        for number, game in enumerate(player.games):
            client.track(
                anonymous_id=anon,
                user_id=player.user_id if player.identified_at and number > 0 else None,
                event="New Game",
                properties={"anonymousId": anon},
                context=context,
                timestamp=game.started_at,
            )
            sent.tracks += 1
            for move in game.moves:
                client.track(
                    anonymous_id=anon,
                    event=move.direction,
                    properties={"anonymousId": anon, "score": move.score, "maxTile": move.max_tile},
                    context=context,
                    timestamp=move.at,
                )
                sent.tracks += 1
            if number == 0 and player.identified_at is not None:
                client.identify(
                    user_id=player.user_id,
                    anonymous_id=anon,
                    traits={
                        "name": f"Player {player.number}",
                        "email": f"player{player.number}@example.com",
                        "favoriteCorner": "-".join(player.corner),
                    },
                    context=context,
                    timestamp=player.identified_at,
                )
                sent.identifies += 1
    client.flush()
    client.join()
    return sent

"""``eventyard houston``: serve the Houston GraphQL API."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the houston command to the CLI."""
    app.command("houston")(houston)


def houston(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the Houston GraphQL API (and its explorer) at /graphql."""
    from eventyard.cli.control import init_quietly
    from eventyard.houston.app import create_app
    from eventyard.runtime import quiet_uvicorn

    init_quietly()
    # Houston has no background work: idle, its only wake-ups are uvicorn's tick (once a second).
    quiet_uvicorn.run(create_app(), host=host, port=port, log_level="info")

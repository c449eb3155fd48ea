"""``eventyard collector``: serve the tracking API (uvicorn, uvloop + httptools, N workers)."""

from __future__ import annotations

import os
import shutil

import typer


def register(app: typer.Typer) -> None:
    """Add the collector command to the CLI."""
    app.command("collector")(collector)


def collector(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes; each owns its own spool slot."),
    proxy_headers: bool = typer.Option(
        True, help="Trust X-Forwarded-For/Proto from --forwarded-allow-ips (client IP behind a proxy)."
    ),
    forwarded_allow_ips: str = typer.Option("127.0.0.1", help="Proxies whose forwarding headers count."),
) -> None:
    """Serve the Segment-compatible tracking API, landing events through the durable spool."""
    from eventyard.cli.control import init_quietly
    from eventyard.collector.http_protocol import HTTP_PROTOCOL
    from eventyard.runtime import quiet_uvicorn
    from eventyard.settings import get_settings

    init_quietly()
    if workers > 1:
        _prepare_multiprocess_metrics(get_settings().home.resolve() / "prometheus")
    # One worker runs on a QuietServer (uvicorn's tick once a second, not ten times: idle CPU).
    quiet_uvicorn.run(
        "eventyard.collector.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=HTTP_PROTOCOL,  # httptools with header size and header-read time limits
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,  # one log line per event request would cost more than the request
        log_level="info",
    )


def _prepare_multiprocess_metrics(directory: os.PathLike[str]) -> None:
    """prometheus-client multiprocess mode: an empty directory, named before workers start."""
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.fspath(directory)

"""``eventyard collector``: serve the tracking API (uvicorn, uvloop + httptools, N workers)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import typer

from eventyard.runtime.worker import STARTUP_TIMEOUT_S, AppSpec, exit_zero_on_stop_signals


def register(app: typer.Typer) -> None:
    """Add the collector command to the CLI."""
    app.command("collector")(collector)


def collector(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="Port to listen on (0: a free one, named in --ready-file)."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes, each with its own spool slot and its own SO_REUSEPORT socket."
    ),
    proxy_headers: bool = typer.Option(
        True, help="Trust X-Forwarded-For/Proto from --forwarded-allow-ips (client IP behind a proxy)."
    ),
    forwarded_allow_ips: str = typer.Option("127.0.0.1", help="Proxies whose forwarding headers count."),
    ready_file: Path | None = typer.Option(
        None, help="Written (JSON: pid, port, workers) once every worker has started; removed on exit."
    ),
    startup_timeout: float = typer.Option(
        STARTUP_TIMEOUT_S,
        min=1.0,
        help="With --workers > 1: seconds a worker may take to start before it is restarted.",
    ),
) -> None:
    """Serve the Segment-compatible tracking API, landing events through the durable spool."""
    from eventyard.cli.control import init_quietly
    from eventyard.collector.http_protocol import HTTP_PROTOCOL
    from eventyard.settings import get_settings

    init_quietly()
    spec = AppSpec(
        app="eventyard.collector.app:create_app",
        host=host,
        port=port,
        http=HTTP_PROTOCOL,  # httptools with header size and header-read time limits
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    if workers > 1:
        from eventyard.runtime.workers import run_workers

        _prepare_multiprocess_metrics(get_settings().home.resolve() / "prometheus")
        # Each worker accepts on its own socket: the kernel spreads connections (decision 0036).
        sys.exit(run_workers(spec, workers, ready_file=ready_file, startup_timeout=startup_timeout))
    _serve_one(spec, ready_file)


def _serve_one(spec: AppSpec, ready_file: Path | None) -> None:
    """One worker, in this process, on a QuietServer (uvicorn's tick once a second: idle CPU)."""
    from eventyard.runtime import quiet_uvicorn
    from eventyard.runtime.listeners import write_ready_file

    def started(server: quiet_uvicorn.QuietServer) -> None:
        if ready_file is not None:
            port = server.servers[0].sockets[0].getsockname()[1]
            write_ready_file(ready_file, port=port, workers=[os.getpid()])

    exit_zero_on_stop_signals()  # so the ready file is removed on SIGTERM too
    try:
        quiet_uvicorn.run(spec.app, on_started=started, **spec.uvicorn_options())
    finally:
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)


def _prepare_multiprocess_metrics(directory: os.PathLike[str]) -> None:
    """prometheus-client multiprocess mode: an empty directory, named before workers start."""
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.fspath(directory)

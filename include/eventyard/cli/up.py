"""``eventyard up``: the whole local stack in one terminal — collector, Houston and Airflow."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``eventyard up`` to the CLI."""
    app.command("up")(up)


def up(
    host: str = typer.Option("127.0.0.1", help="Interface every service binds to."),
    collector_port: int = typer.Option(8080, help="Port of the collector (tracking API)."),
    houston_port: int = typer.Option(8000, help="Port of Houston (GraphQL API and explorer)."),
    airflow_port: int = typer.Option(8280, help="Port of Airflow's UI / API server."),
    collector_workers: int = typer.Option(1, min=1, help="Collector worker processes."),
) -> None:
    """Run the collector, Houston and Airflow (scheduler, DAG processor, triggerer, API server).

    One log stream, each line prefixed with its service; the URLs are printed once everything
    answers; Ctrl-C stops all of it. Events sent to the collector reach the warehouse and
    destination integrations configured in Houston within seconds: the DAGs run when batches
    land (see docs/airflow.md).
    """
    from eventyard.airflow_support import paces_airflow
    from eventyard.runtime.launch import prepare_airflow, run_foreground
    from eventyard.runtime.stack import Ports, eventyard_env, stack_services
    from eventyard.settings import get_settings

    settings = get_settings()
    ports = Ports(host=host, collector=collector_port, houston=houston_port, airflow=airflow_port)
    env = eventyard_env(prepare_airflow(settings, api_host=host, api_port=airflow_port), ports)
    run_dir = settings.home.resolve() / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    services = stack_services(
        env, ports, collector_workers=collector_workers, paced=paces_airflow(settings), run_dir=run_dir
    )
    raise typer.Exit(run_foreground(services, title="Eventyard"))

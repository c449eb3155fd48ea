"""``eventyard airflow``: Airflow's scheduler, DAG processor, triggerer and API server, embedded defaults."""

from __future__ import annotations

import json

import typer

from eventyard.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add ``eventyard airflow`` and ``eventyard airflow-dag-test`` to the CLI."""
    app.command("airflow")(airflow)
    app.command("airflow-dag-test")(airflow_dag_test)


def airflow(
    host: str = typer.Option("127.0.0.1", help="Interface of Airflow's UI / API server."),
    port: int = typer.Option(8280, help="Port of Airflow's UI / API server."),
    migrate_only: bool = typer.Option(
        False, "--migrate-only", help="Create/upgrade the metadata DB and exit."
    ),
) -> None:
    """Run Airflow 3 locally: scheduler (LocalExecutor), DAG processor, triggerer and API server.

    State lives in ``$EVENTYARD_HOME/airflow`` with a SQLite metadata DB; the task runners reach
    the execution API on the API server's own host and port. For production set
    ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` (Postgres); every ``AIRFLOW__*`` variable already
    set is respected. ``eventyard up`` runs the collector and Houston alongside.
    """
    from eventyard.airflow_support import paces_airflow
    from eventyard.runtime.launch import prepare_airflow, run_foreground
    from eventyard.runtime.stack import airflow_services

    settings = get_settings()
    env = prepare_airflow(settings, api_host=host, api_port=port)
    api = f"http://{env['AIRFLOW__API__HOST']}:{env['AIRFLOW__API__PORT']}"
    typer.echo(
        json.dumps(
            {
                "airflow_home": env["AIRFLOW_HOME"],
                "dags_folder": env["AIRFLOW__CORE__DAGS_FOLDER"],
                "ui": api,
                "execution_api": env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"],
            }
        )
    )
    if migrate_only:
        return
    services = airflow_services(env, paced=paces_airflow(settings))
    raise typer.Exit(run_foreground(services, title="Airflow"))


def airflow_dag_test(dag_id: str = typer.Argument("load_warehouses", help="DAG to run once.")) -> None:
    """Run one DAG once, in this process, with ``dag.test()`` (no scheduler needed)."""
    from eventyard.airflow_support import run_dag_once
    from eventyard.cli.control import init_quietly

    init_quietly()
    result = run_dag_once(get_settings(), dag_id)
    typer.echo(json.dumps(result, default=str))
    if result["state"] != "success":
        raise typer.Exit(1)

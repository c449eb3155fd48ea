"""``eventyard airflow``: the Airflow UI, scheduler and DAG processor on the embedded defaults."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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
    """Run Airflow 3 locally (``airflow standalone``) with Eventyard's dags/ and plugins/.

    State lives in ``$EVENTYARD_HOME/airflow`` with a SQLite metadata DB. For production set
    ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` (Postgres) and run Airflow's own services; every
    ``AIRFLOW__*`` variable already set is respected.
    """
    from eventyard.airflow_support import airflow_env, migrate_metadata_db
    from eventyard.cli.control import init_quietly

    settings = get_settings()
    init_quietly()
    env = airflow_env(settings)
    # Explicit options win over the embedded defaults; operators' AIRFLOW__API__* variables win over both.
    env["AIRFLOW__API__HOST"] = os.environ.get("AIRFLOW__API__HOST", host)
    env["AIRFLOW__API__PORT"] = os.environ.get("AIRFLOW__API__PORT", str(port))
    migrate_metadata_db(settings, env=env)
    typer.echo(
        json.dumps(
            {
                "airflow_home": env["AIRFLOW_HOME"],
                "dags_folder": env["AIRFLOW__CORE__DAGS_FOLDER"],
                "ui": f"http://{env['AIRFLOW__API__HOST']}:{env['AIRFLOW__API__PORT']}",
            }
        )
    )
    if migrate_only:
        return
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    # Replace this process, so Ctrl-C and signals from a supervisor reach Airflow directly.
    os.execve(airflow_bin, [airflow_bin, "standalone"], env)


def airflow_dag_test(dag_id: str = typer.Argument("load_warehouses", help="DAG to run once.")) -> None:
    """Run one DAG once, in this process, with ``dag.test()`` (no scheduler needed)."""
    from eventyard.airflow_support import run_dag_once
    from eventyard.cli.control import init_quietly

    init_quietly()
    result = run_dag_once(get_settings(), dag_id)
    typer.echo(json.dumps(result, default=str))
    if result["state"] != "success":
        raise typer.Exit(1)

"""`eventyard airflow` against a Postgres metadata DB (production), set by Airflow's own variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from eventyard.airflow_support import airflow_env
from eventyard.settings import Settings
from tests.conftest import _fresh_pg_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_metadata_db_on_postgres(pg_server_url: str, sqlite_settings: Settings) -> None:
    url = create_engine(_fresh_pg_database(pg_server_url)).url.set(drivername="postgresql+psycopg")
    conn = url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env |= {"EVENTYARD_HOME": str(sqlite_settings.home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn}
    proc = subprocess.run(
        [sys.executable, "-c", "from eventyard.cli import main; main()", "airflow", "--migrate-only"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1])["airflow_home"].endswith("/airflow")

    engine = create_engine(conn)
    with engine.connect() as db:
        tables = set(
            db.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        )
    engine.dispose()
    assert {"dag", "dag_run", "task_instance", "xcom"} <= tables
    assert not (Path(airflow_env(sqlite_settings)["AIRFLOW_HOME"]) / "airflow.db").exists()


def test_psycopg_url_serves_the_async_engine_too(sqlite_settings: Settings) -> None:
    conn = "postgresql+psycopg://airflow@db:5432/airflow"
    env = airflow_env(sqlite_settings, {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn})
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == conn
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC" not in airflow_env(sqlite_settings, {})

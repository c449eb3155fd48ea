"""What ``eventyard load --once`` and ``eventyard quality --once`` share: the ``--once`` contract
(Airflow schedules; the CLI runs one round) and one round per integration with one exit code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer


def once_option(what: str) -> Any:
    """The ``--once`` flag: the only mode, because scheduling is Airflow's job."""
    return typer.Option(False, "--once", help=f"Run one {what} and exit (the only mode; Airflow schedules).")


def integration_option(verb: str) -> Any:
    """``--integration ID``: one integration instead of every enabled one."""
    return typer.Option("", "--integration", help=f"{verb} only this integration id.")


def require_once(once: bool, dag_id: str) -> None:
    """Refuse to run without ``--once``, naming the DAG that schedules the command."""
    if not once:
        raise typer.BadParameter(f"use --once (scheduling is Airflow's job: the {dag_id} DAG)")


def run_each(ids: list[str], run: Callable[[str], bool]) -> None:
    """Run ``run`` for every integration id (it returns whether that one failed); every id runs,
    then exit 1 if any failed."""
    failed = False
    for integration_id in ids:
        failed = run(integration_id) or failed
    if failed:
        raise typer.Exit(code=1)

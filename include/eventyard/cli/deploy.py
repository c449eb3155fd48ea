"""Commands a deployment's containers call: Airflow's init and services, and healthchecks.

``docker-compose.yaml`` (and the Helm chart's values in docs/deploy.md) run every Airflow
component as ``eventyard airflow-exec <airflow command>``, so each container gets the same
environment ``eventyard airflow`` builds on a laptop (DAG and plugin folders from the image,
the auth manager, the secrets Airflow's processes must share) and then becomes Airflow itself.
"""

from __future__ import annotations

import json
import os

import typer

from eventyard.settings import get_settings

PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def register(app: typer.Typer) -> None:
    """Add ``airflow-init``, ``airflow-exec`` and ``healthcheck`` to the CLI."""
    app.command("airflow-init")(airflow_init)
    app.command("airflow-exec", context_settings=PASS_THROUGH)(airflow_exec)
    app.command("healthcheck")(healthcheck)


def airflow_init() -> None:
    """One-shot: create/upgrade Airflow's metadata DB and set the admin's password from the environment."""
    from eventyard.airflow_auth import write_admin_password
    from eventyard.airflow_support import airflow_env, migrate_metadata_db

    settings = get_settings()
    env = airflow_env(settings)
    migrate_metadata_db(settings, env=env)
    passwords = write_admin_password(settings, env)
    summary = {
        "environment": settings.environment,
        "executor": env["AIRFLOW__CORE__EXECUTOR"],
        "admin": settings.airflow_admin_username if passwords else None,
        "passwords_file": str(passwords) if passwords else None,
    }
    typer.echo(json.dumps(summary))


def airflow_exec(ctx: typer.Context) -> None:
    """Run ``airflow <args>`` (e.g. ``scheduler``, ``celery worker``) with Eventyard's Airflow environment.

    This process becomes Airflow (exec), so the container's signals and exit code are Airflow's.
    The API server's container writes the admin's password first, so the login works even when
    the init service ran elsewhere.
    """
    from eventyard.airflow_auth import write_admin_password
    from eventyard.airflow_support import airflow_env
    from eventyard.runtime.stack import airflow_binary

    args = list(ctx.args)
    if not args or args[0] in {"-h", "--help"}:
        typer.echo("usage: eventyard airflow-exec <airflow command> [args...]  (see `airflow --help`)")
        raise typer.Exit(0 if args else 2)
    settings = get_settings()
    env = airflow_env(settings)
    if args[0] == "api-server":
        write_admin_password(settings, env)
    binary = airflow_binary()
    os.execve(binary, [binary, *args], env)


def healthcheck(
    url: str = typer.Argument(..., help="URL that answers 2xx when the service is healthy."),
    timeout: float = typer.Option(5.0, help="Seconds to wait for the answer."),
) -> None:
    """Exit 0 if ``url`` answers 2xx, else 1: a container healthcheck with no curl in the image."""
    import httpx

    try:
        status = httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError as exc:
        typer.echo(f"unhealthy: {url}: {exc!r}", err=True)
        raise typer.Exit(1) from None
    if not 200 <= status < 300:
        typer.echo(f"unhealthy: {url} answered {status}", err=True)
        raise typer.Exit(1)

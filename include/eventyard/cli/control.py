"""``eventyard init`` and ``eventyard bootstrap``: the control DB and a quick-start account."""

from __future__ import annotations

import json

import typer

from eventyard.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the control-plane commands to the CLI."""
    app.command("init")(init)
    app.command("bootstrap")(bootstrap)


def init() -> None:
    """Create or upgrade the control DB (Alembic) and generate the secret key if unset."""
    from eventyard.db.migrate import prepare_control_db

    settings = get_settings()
    prepare_control_db(settings)
    typer.echo(
        json.dumps(
            {"home": str(settings.home.resolve()), "database": _redacted(settings.resolved_database_url)}
        )
    )


def bootstrap(
    email: str = typer.Option(..., help="Login email of the first user."),
    password: str = typer.Option(..., help="Password of the first user."),
    org: str = typer.Option(..., help="Organization name."),
    source: str = typer.Option(..., help="Source (application) name."),
    platform: str = typer.Option("analytics.js", help="Source platform."),
) -> None:
    """Create a confirmed user, an organization and a source; print token and ids as JSON."""
    from eventyard.houston.bootstrap import BootstrapError, bootstrap_account

    init_quietly()
    try:
        result = bootstrap_account(
            get_settings(),
            email=email,
            password=password,
            org_name=org,
            source_name=source,
            platform=platform,
        )
    except BootstrapError as exc:
        # Bad input or an existing account: a clear one-line error, no traceback, nothing created.
        typer.echo(f"bootstrap failed: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(result))


def init_quietly() -> None:
    """Run ``init`` without printing (commands that need a current DB call this first)."""
    from eventyard.db.migrate import prepare_control_db

    prepare_control_db(get_settings())


def _redacted(url: str) -> str:
    """A database URL with its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)

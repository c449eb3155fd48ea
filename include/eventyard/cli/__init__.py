"""The ``eventyard`` command line.

Every module in this package that defines ``register(app)`` adds its commands, and every
one that defines ``register_bench(bench_app)`` adds a ``eventyard bench <name>`` command, so
components plug in without editing a central list. Modules import their heavy dependencies
inside the command functions, so ``eventyard --help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="eventyard",
    help="Eventyard: self-hosted, Segment-compatible customer-event collection and routing.",
    no_args_is_help=True,
    add_completion=False,
)
bench_app = typer.Typer(help="Benchmarks over loopback, reported against a ceiling measured in the same run.")
app.add_typer(bench_app, name="bench")


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(app)
        if hasattr(module, "register_bench"):
            module.register_bench(bench_app)


_register_all()


def main() -> None:
    """Console-script entry point; a setting that fails validation is one clear line, exit 2."""
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"eventyard: invalid configuration: {problems}", err=True)
        raise SystemExit(2) from None

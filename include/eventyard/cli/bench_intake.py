"""``eventyard bench intake``: the collector's per-event work in one process, against JSON alone."""

from __future__ import annotations

import json

import typer


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench intake``."""
    bench_app.command("intake")(bench_intake)


def bench_intake(
    rounds: int = typer.Option(7, min=1, max=100, help="Passes per measurement; the best counts."),
    requests: int = typer.Option(200, min=1, max=100_000, help="Bodies of 50 events per pass."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON only."),
) -> None:
    """Time parse, key, enrich, validate, record and frame per event; the ceiling is orjson alone."""
    from eventyard.collector.bench.intake import EVENTS_PER_BODY, run_intake_bench
    from eventyard.collector.compiled import implementation

    results = run_intake_bench(rounds=rounds, requests=requests)
    if as_json:
        typer.echo(json.dumps([{**r.as_dict(), "intake": implementation()} for r in results], indent=2))
        return
    typer.echo(
        f"per-event work of /v1/batch in one process (parse, key, enrich, validate, record, frame), "
        f"best of {rounds} x {requests} bodies of {EVENTS_PER_BODY} events; "
        "ceiling: orjson.loads of the body and one orjson.dumps per event; "
        f"intake: {implementation()} (EVENTYARD_PURE_PYTHON=1 runs the sources)"
    )
    typer.echo(f"{'events':<22}{'pipeline us/event':>19}{'ceiling us/event':>18}{'pipeline / ceiling':>20}")
    for result in results:
        typer.echo(
            f"{result.events:<22}{result.pipeline_us:>19.2f}{result.ceiling_us:>18.2f}{result.ratio:>19.1f}x"
        )

"""``eventyard bench collector``: wrk against the collector and a bare ASGI echo app, same run."""

from __future__ import annotations

import json
from typing import Any, get_args

import typer


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench collector``."""
    bench_app.command("collector")(bench_collector)


def bench_collector(
    seconds: float = typer.Option(10.0, min=1, max=300, help="wrk duration per scenario and app."),
    connections: int = typer.Option(64, min=1, max=1024, help="Concurrent wrk connections."),
    threads: int = typer.Option(1, min=1, max=8, help="wrk threads."),
    workers: int = typer.Option(
        2, min=1, max=16, help="Workers (each with its own spool slot and SO_REUSEPORT socket)."
    ),
    parquet_rows: int = typer.Option(200_000, min=1000, help="Rows for the spool -> Parquet measurement."),
    open_loop_seconds: float = typer.Option(
        60.0, min=0, max=3600, help="Open-loop /v1/t window per app (0 skips it)."
    ),
    rate: float | None = typer.Option(
        None, min=1, help="Open-loop rate in req/s (default: half the saturated /v1/t rate)."
    ),
    open_loop_only: bool = typer.Option(
        False, "--open-loop-only", help="Run only the open-loop scenario (needs --rate)."
    ),
    background_load: str = typer.Option(
        "none",
        "--background-load",
        help="CPU-bound processes, one per CPU, beside each app during its open-loop window: "
        "none, idle (SCHED_IDLE) or low (nice 19). A machine that also runs other work.",
    ),
    spool_fsync: str = typer.Option(
        "blocking",
        "--spool-fsync",
        help="How the collector waits for its group commits' fdatasync: blocking or aio "
        "(EVENTYARD_SPOOL_FSYNC; the bench's collector ignores the caller's EVENTYARD_* variables).",
    ),
    intake: str | None = typer.Option(
        None,
        "--intake",
        help="Which intake the collector runs: mypyc (compiled) or python (its sources, as a build "
        "without mypy or a C compiler runs; EVENTYARD_PURE_PYTHON=1). Default: what is installed.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON only."),
) -> None:
    """Drive the real collector (durable ACKs) and an echo app over loopback with wrk; print the ratio."""
    from eventyard.collector.bench.background import KINDS
    from eventyard.collector.bench.harness import BenchConfig, run_bench
    from eventyard.collector.bench.openloop import COMPILER_MISSING, compiler
    from eventyard.collector.bench.wrk import WRK_MISSING, wrk_path
    from eventyard.collector.compiled import REBUILD_HINT, implementation
    from eventyard.settings import Settings

    if background_load not in KINDS:
        typer.echo(f"--background-load must be one of: {', '.join(KINDS)}", err=True)
        raise typer.Exit(2)
    modes = get_args(Settings.model_fields["spool_fsync"].annotation)
    if spool_fsync not in modes:
        typer.echo(f"--spool-fsync must be one of: {', '.join(modes)}", err=True)
        raise typer.Exit(2)
    if intake is None:
        intake = implementation()
    if intake not in ("mypyc", "python"):
        typer.echo("--intake must be one of: mypyc, python", err=True)
        raise typer.Exit(2)
    if intake == "mypyc" and implementation() != "mypyc":
        typer.echo(
            f"--intake mypyc: this installation runs the intake as Python ({REBUILD_HINT} where mypy "
            "and a C compiler are installed), or pass --intake python",
            err=True,
        )
        raise typer.Exit(2)
    if background_load != "none" and open_loop_seconds <= 0:
        typer.echo(
            "--background-load runs during the open-loop window: it needs --open-loop-seconds > 0", err=True
        )
        raise typer.Exit(2)
    if not open_loop_only:  # only the closed-loop scenarios need wrk
        try:
            wrk_path()
        except RuntimeError:
            typer.echo(WRK_MISSING, err=True)
            raise typer.Exit(2) from None
    if open_loop_seconds > 0:  # the open-loop generator is C, built on demand
        try:
            compiler()
        except RuntimeError:
            typer.echo(COMPILER_MISSING, err=True)
            raise typer.Exit(2) from None
    if open_loop_only and rate is None:
        typer.echo("--open-loop-only needs --rate (requests per second)", err=True)
        raise typer.Exit(2)
    config = BenchConfig(
        seconds=seconds,
        connections=connections,
        threads=threads,
        workers=workers,
        parquet_rows=parquet_rows,
        open_loop_seconds=open_loop_seconds,
        open_loop_rate=rate,
        open_loop_only=open_loop_only,
        background_load=background_load,
        spool_fsync=spool_fsync,
        intake=intake,
    )
    report = run_bench(config, progress=(lambda _msg: None) if as_json else typer.echo)
    data = report.as_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(
        f"\nwrk -t{threads} -c{connections} -d{seconds:g}s on 127.0.0.1, {workers} worker(s) on their own "
        "SO_REUSEPORT sockets (uvloop, httptools); collector ACKs only after fsync "
        f"(spool fsync: {data['spool_fsync']}; intake: {data['intake']})"
    )
    typer.echo(
        f"{'scenario':<24}{'app':<11}{'req/s':>10}{'events/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
    )
    for scenario, entry in data["scenarios"].items():
        for app in ("collector", "echo"):
            r = entry.get(app)
            if r:
                typer.echo(
                    f"{scenario:<24}{app:<11}{r['requests_per_s']:>10,.0f}{r['events_per_s']:>12,.0f}"
                    f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['errors']:>8}"
                )
        if "ratio" in entry:
            typer.echo(f"{'':<24}collector / echo = {entry['ratio']:.2f}")
    _print_open_loop(data.get("open_loop", {}))
    if not open_loop_only:
        typer.echo(f"spool -> Parquet (zstd): {data['spool_to_parquet_rows_per_s']:,} rows/s")
    typer.echo(f"rows landed from the collector runs: {data['landed_rows']:,}")
    load = data["load_average_before"]
    typer.echo(f"machine: {data['cpus']} CPUs, 1-min load average before the run: {load}")


def _print_open_loop(results: dict[str, dict[str, Any]]) -> None:
    """The open-loop table: percentiles from the intended send time, flushes, fsyncs, load."""
    if not results:
        return
    typer.echo("\nopen loop, /v1/t at a constant rate; latency from the intended send time (like wrk2)")
    typer.echo(next(iter(results.values())).get("background_load", "background load: none"))
    typer.echo(
        f"{'app':<11}{'rate':>8}{'done/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}{'max ms':>9}"
        f"{'errors':>8}{'flushes':>9}{'load':>12}"
    )
    for app, r in results.items():
        load = f"{r['load_average_before']:.1f}->{r['load_average_after']:.1f}"
        typer.echo(
            f"{app:<11}{r['rate']:>8,.0f}{r['requests_per_s']:>9,.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            f"{r['p999_ms']:>10.2f}{r['max_ms']:>9.1f}{r['errors']:>8}{r.get('flushes_in_window', '-')!s:>9}"
            f"{load:>12}"
        )
    collector, echo = results.get("collector"), results.get("echo")
    if collector and echo:
        p99 = collector["p99_ms"] / max(echo["p99_ms"], 1e-9)
        cpu = collector["worker_cpu_us_per_request"] / max(echo["worker_cpu_us_per_request"], 1e-9)
        typer.echo(f"collector / echo: p99 {p99:.1f}x, worker CPU per request {cpu:.2f}x")
    typer.echo("CPU (whole run of the generator, warm-up included):")
    for app, r in results.items():
        split = " / ".join(f"{seconds:.1f}" for seconds in r.get("worker_cpu_seconds", []))
        typer.echo(
            f"  {app:<10} workers {r['worker_cpu_us_per_request']:.0f} us/request "
            f"(each worker: {split} s), landing children "
            f"{r['landing_cpu']:.2f} of a core, generator {r['generator_cpu']:.2f} of a core, "
            f"everything else on the machine {r.get('other_cpu', 0.0):.2f} of a core"
        )
    collector_run = results.get("collector", {})
    if "slow_near_flushes" in collector_run:
        typer.echo(
            f"collector requests over 10 ms: {collector_run['slow_requests']:,}, of which "
            f"{collector_run['slow_near_flushes']:,} within 0.5 s of a landing flush"
        )
    for app, r in results.items():
        hist = ", ".join(f"<={b if b is not None else 'inf'}:{n}" for b, n in r["histogram_ms"] if n)
        typer.echo(f"{app} latency histogram (ms): {hist}")
    for key, what in (("fsync_histogram_ms", "fsync (write + fdatasync)"), ("gc_histogram_ms", "GC pause")):
        counts = results.get("collector", {}).get(key)
        if counts:
            hist = ", ".join(f"<={b if b is not None else 'inf'}:{n}" for b, n in counts if n)
            typer.echo(f"collector {what} histogram over the window (ms): {hist or 'none'}")

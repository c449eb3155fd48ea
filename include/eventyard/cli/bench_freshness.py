"""``eventyard bench freshness``: send -> warehouse row and -> webhook arrival through the real stack."""

from __future__ import annotations

import typer

TARGET_P95_S = 30.0
TARGET_IDLE_CPU = 3.0  # % of one core, the whole stack


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench freshness``."""

    @bench_app.command("freshness")
    def bench_freshness(
        rate: float = typer.Option(2.0, min=0.1, max=200, help="Events per second, steady."),
        seconds: float = typer.Option(120, min=5, max=1800, help="How long to send."),
        idle_seconds: float = typer.Option(60, min=10, max=600, help="Idle CPU measurement window."),
        postgres: str = typer.Option(
            "postgresql://postgres@127.0.0.1:5432/postgres",
            help="A Postgres server the benchmark may create (and drop) a scratch warehouse database on.",
        ),
    ) -> None:
        """Start `eventyard up` in a scratch dir, send events steadily, report freshness and idle CPU."""
        from eventyard.runtime.freshness import percentiles, run_freshness

        result = run_freshness(postgres, rate, seconds, idle_seconds)
        sent = len(result.sent)
        for label, seen in (("warehouse row", result.in_warehouse), ("webhook arrival", result.at_webhook)):
            values = result.latencies(seen)
            p = percentiles(values)
            ratio = p["p95"] / TARGET_P95_S
            typer.echo(
                f"send -> {label}: {len(values)}/{sent} events, p50 {p['p50']:.1f} s, p95 {p['p95']:.1f} s, "
                f"max {p['max']:.1f} s (target p95 <= {TARGET_P95_S:.0f} s: ratio {ratio:.2f})"
            )
        total = sum(result.idle_cpu.values())
        top = max(result.idle_cpu.items(), key=lambda kv: kv[1])
        wakeups = result.idle_wakeups
        parts = ", ".join(
            f"{k} {v:.2f}% ({wakeups.get(k, 0.0):.1f}/s)"
            for k, v in sorted(result.idle_cpu.items(), key=lambda kv: -kv[1])
        )
        typer.echo(
            f"idle CPU over {idle_seconds:.0f} s: {total:.2f}% of one core "
            f"(target <= {TARGET_IDLE_CPU:.0f}%: ratio {total / TARGET_IDLE_CPU:.2f}); "
            f"dominated by {top[0]} ({top[1]:.2f}%)"
        )
        typer.echo(f"  wake-ups: {sum(wakeups.values()):.1f}/s in all (context switches of every thread)")
        typer.echo(f"  per component, CPU (wake-ups): {parts}")
        typer.echo(f"  {result.processes} processes, {result.memory_mb:.0f} MB (PSS)")
        arrived = min(len(result.latencies(result.in_warehouse)), len(result.latencies(result.at_webhook)))
        if arrived < sent:
            typer.echo("some events never arrived")
            raise typer.Exit(1)

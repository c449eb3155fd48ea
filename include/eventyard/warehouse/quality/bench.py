"""``eventyard bench quality``: a quality round over a million loaded rows on Postgres, next to
the load of the same rows measured in the same run.

The rows are ``eventyard bench load``'s (one 30-property track event, landed as Parquet batches
in a throw-away state dir and database). The load is timed through the real path; then whole
quality rounds (every check, results recorded) are timed on what it loaded. The round runs as
of half an hour after the last landed event, so every row is inside the checks' windows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from eventyard.settings import Settings
from eventyard.warehouse.bench import START, landed_batches, provision, scratch_postgres
from eventyard.warehouse.cycle import load_integration
from eventyard.warehouse.quality.run import run_round

TARGET_RATIO = 0.20


@dataclass
class QualityBench:
    """Figures of one run."""

    events: int
    rows: int
    load_seconds: float
    round_seconds: list[float] = field(default_factory=list)
    checks: int = 0
    failed: int = 0
    gx_seconds: float | None = None

    def lines(self) -> list[str]:
        """Human-readable report."""
        best, mean = min(self.round_seconds), sum(self.round_seconds) / len(self.round_seconds)
        ratio = mean / self.load_seconds
        verdict = "meets" if ratio < TARGET_RATIO else "misses"
        lines = [
            f"events                {self.events:,} ({self.rows:,} table rows loaded)",
            f"eventyard load        {self.load_seconds:.2f} s  (the load the rounds check)",
            f"quality round         {mean:.2f} s mean, {best:.2f} s best of {len(self.round_seconds)}"
            f"  ({self.checks} checks, {self.failed} failed)",
            f"round / load          {ratio:.1%}  ({verdict} the target < {TARGET_RATIO:.0%})",
        ]
        if self.gx_seconds is not None:
            share = self.gx_seconds / self.load_seconds
            lines.append(f"GX suites (opt-in)    {self.gx_seconds:.2f} s  ({share:.1%} of the load)")
        return lines


def run(
    admin_url: str,
    events: int,
    batch_size: int,
    rounds: int = 3,
    say: Callable[[str], None] = print,
    great_expectations: bool = False,
) -> QualityBench:
    """Run the benchmark in a throw-away state dir and Postgres database."""
    with scratch_postgres(admin_url) as (settings, url):
        say(f"landing {events:,} events in batches of {batch_size:,} (not timed) ...")
        batches = landed_batches(events, batch_size)
        integration_id = provision(settings, url, batches)
        say(f"loading ... (load average {os.getloadavg()[0]:.1f})")
        started = time.perf_counter()
        report = load_integration(settings, integration_id, max_batches=len(batches))
        result = QualityBench(events, report.rows_loaded, time.perf_counter() - started)
        if report.errors or report.batches_completed != len(batches):
            raise RuntimeError(f"load failed: {report}")
        as_of = START + timedelta(milliseconds=events, minutes=30)
        for index in range(rounds):
            say(f"quality round {index + 1} of {rounds} ...")
            started = time.perf_counter()
            checked = run_round(settings, integration_id, as_of + timedelta(seconds=index))
            result.round_seconds.append(time.perf_counter() - started)
            result.checks, result.failed = len(checked.results), len(checked.failures)
        if great_expectations:
            say("Great Expectations suites (qualityGreatExpectations) ...")
            result.gx_seconds = _time_gx(settings, integration_id)
        return result


def _time_gx(settings: Settings, integration_id: str) -> float:
    """Seconds GX takes to validate the loaded tables with their generated suites (import included)."""
    from eventyard.warehouse.integration import table_setup
    from eventyard.warehouse.quality import gx_suites
    from eventyard.warehouse.quality.checks import schema_columns

    setup = table_setup(settings, integration_id)
    started = time.perf_counter()
    with setup.dialect as dialect:
        columns = schema_columns(dialect, setup.schema)
        results = gx_suites.run_suites(settings, integration_id, dialect, setup.schema, columns)
    if not all(r.passed for r in results):
        raise RuntimeError(f"GX suites failed on healthy rows: {results}")
    return time.perf_counter() - started

"""``eventyard demo``: the whole pipeline on embedded defaults, from sign-up to SQL answers.

1. ``init`` the state dir (control DB, secret key);
2. through Houston's GraphQL API: user, organization, source, DuckDB warehouse integration;
3. start the collector on a free loopback port;
4. play the seed's 2048 clickstream example: simulated players on real boards, sent through
   ``segment-analytics-python``;
5. stop the collector and flush its spool to the landing zone (``flush_all``);
6. run the ``load_warehouses`` DAG once (``dag.test()`` in an Airflow subprocess; or the same
   load cycle without Airflow with ``--loader direct``);
7. run one round of quality checks on what was loaded (``eventyard quality --once``'s code) and
   print its summary;
8. print the tables, row counts and the seed's insights, computed by SQL on the warehouse.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventyard.demo.provision import DemoError
from eventyard.settings import Settings

MARKER = "demo.json"
SOURCE_NAME = "Clickstream 2048"
DEMO_EMAIL = "demo@example.com"


def prepare_home(home: Path) -> None:
    """Start from an empty state dir; a previous demo's dir is cleared, anything else is refused."""
    if home.exists() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise DemoError(
                f"{home} already holds Eventyard state that is not a demo's; "
                "run the demo with --home <new dir> (or EVENTYARD_HOME) instead"
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)


def run_demo(
    settings: Settings,
    *,
    players: int = 5,
    games: int = 3,
    seed: int = 2048,
    loader: str = "airflow",
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every step; returns (and writes to ``<home>/demo.json``) the figures it printed."""
    from eventyard.db.engine import get_engine
    from eventyard.db.migrate import upgrade
    from eventyard.demo.game import play
    from eventyard.demo.provision import provision
    from eventyard.demo.traffic import running_collector, send_games

    started = time.monotonic()
    step_start = [started]

    def step(text: str) -> None:
        now = time.monotonic()
        say(f"{text}  [{now - step_start[0]:.1f} s]")
        step_start[0] = now

    home = settings.home.resolve()
    prepare_home(home)
    (home / MARKER).write_text("{}")
    settings.ensure_secret_key()
    upgrade(get_engine(settings))
    step(f"1. Initialised {home} (control DB {settings.resolved_database_url})")

    # Airflow's metadata DB takes seconds to create: do it while the players play.
    warm_up = _Background(_migrate_airflow, settings) if loader == "airflow" else None

    password = secrets.token_urlsafe(12)
    account = provision(settings, email=DEMO_EMAIL, password=password, source_name=SOURCE_NAME)
    step(
        f"2. Through Houston's GraphQL API: user {DEMO_EMAIL}, organization, source "
        f"{SOURCE_NAME!r} (write key {account.write_key}) and a DuckDB warehouse integration"
    )

    simulated = play(seed, players, games, datetime.now(UTC) - timedelta(minutes=15))
    with running_collector(settings) as collector:
        step(f"3. Collector listening on {collector}")
        sent = send_games(simulated, host=collector, write_key=account.write_key)
        step(
            f"4. {players} players played {players * games} games of 2048: {sent.total} calls sent with "
            f"segment-analytics-python ({sent.tracks} track, {sent.pages} page, {sent.identifies} identify)"
        )
    if sent.failures:
        raise DemoError(f"the SDK reported {sent.failures} events it could not deliver")

    from eventyard.collector.flusher import flush_all

    flush_all(settings)
    batches, rows = landed(settings)
    step(
        f"5. Collector stopped, spool flushed: {batches} Parquet batches ({rows} events) in the landing zone"
    )

    if warm_up is not None:
        warm_up.result()
    report = _load(settings, loader)
    step(f"6. {report['how']}: {report['summary']}")

    from eventyard.demo.insights import compute

    figures = compute(settings, account.warehouse_path, report["schema"])

    from eventyard.warehouse.quality.run import run_round

    quality = run_round(settings, account.integration_id)
    step(f"7. Quality checks on the load (`eventyard quality --once`): {quality.summary()}")
    # Findings are shown, not fatal: the seed's moves repeat anonymousId inside their properties,
    # which Segment's layout drops into `discards`, so their tables' discard rate is flagged.
    for line in quality.lines():
        if line.startswith("FAIL"):
            say(f"   {line}")
    result = {
        "home": str(home),
        "seed": seed,
        "players": players,
        "games_per_player": games,
        "write_key": account.write_key,
        "login": {"email": DEMO_EMAIL, "password": password},
        "sent": asdict(sent),
        "load": report,
        "quality": {
            "passed": quality.passed,
            "checks": len(quality.results),
            "failed": sorted({f"{r.check} {r.table}" for r in quality.failures}),
            "summary": quality.summary(),
        },
        "warehouse": str(account.warehouse_path),
        **figures,
        "seconds": round(time.monotonic() - started, 1),
    }
    (home / MARKER).write_text(json.dumps(result, indent=2, default=str))
    for line in _report_lines(result):
        say(line)
    return result


class _Background:
    """A function running in a thread; ``result()`` joins it and re-raises its error."""

    def __init__(self, fn: Callable[[Settings], None], settings: Settings) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn, settings), daemon=True)
        self.thread.start()

    def _run(self, fn: Callable[[Settings], None], settings: Settings) -> None:
        try:
            fn(settings)
        except BaseException as exc:  # handed to the caller in result()
            self.error = exc

    def result(self) -> None:
        """Wait for the function; raise what it raised."""
        self.thread.join()
        if self.error is not None:
            raise self.error


def _migrate_airflow(settings: Settings) -> None:
    from eventyard.airflow_support import migrate_metadata_db

    migrate_metadata_db(settings)


def landed(settings: Settings) -> tuple[int, int]:
    """Batches and rows in the landing manifest."""
    from sqlalchemy import func, select

    from eventyard.db.engine import get_engine, session_scope
    from eventyard.db.models import Batch

    with session_scope(get_engine(settings)) as session:
        count, rows = session.execute(select(func.count(), func.coalesce(func.sum(Batch.row_count), 0))).one()
    return int(count), int(rows)


def _load(settings: Settings, loader: str) -> dict[str, Any]:
    """One load of every warehouse integration, via the Airflow DAG or directly."""
    if loader == "direct":
        from eventyard.warehouse.cycle import load_once

        reports = [report.to_dict() for report in load_once(settings)]
        how = "Loaded the warehouse with `eventyard load --once` code (no Airflow)"
    elif loader == "airflow":
        reports = _run_dag(settings)
        how = "Ran the load_warehouses Airflow DAG once (dag.test())"
    else:
        raise DemoError(f"unknown loader {loader!r}: use airflow or direct")
    if len(reports) != 1 or reports[0].get("errors"):
        raise DemoError(f"the warehouse load failed: {reports}")
    (report,) = reports
    rows = sum(t["rows_loaded"] for t in report["tables"].values())
    discarded = sum(t["rows_discarded"] for t in report["tables"].values())
    return {
        **report,
        "how": how,
        "summary": f"{report['batches']} batches, {rows} rows loaded into {len(report['tables'])} tables, "
        f"{discarded} values discarded",
    }


def _run_dag(settings: Settings) -> list[dict[str, Any]]:
    """``eventyard airflow-dag-test load_warehouses`` in a subprocess (Airflow's log to a file)."""
    from eventyard.airflow_support import airflow_env

    env = airflow_env(settings)
    log_path = settings.home.resolve() / "airflow-demo-run.log"
    with log_path.open("w") as log:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from eventyard.cli import main; main()",
                "airflow-dag-test",
                "load_warehouses",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            timeout=600,
            check=False,
        )
        log.write(proc.stdout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{"dag_id"')]
    if proc.returncode != 0 or not lines:
        raise DemoError(f"the load_warehouses DAG run failed; see {log_path}")
    outcome = json.loads(lines[-1])
    return list(outcome["results"].get("load", {}).values())


def _report_lines(result: dict[str, Any]) -> list[str]:
    """The human-readable report."""
    lines = ["", f"Warehouse {result['warehouse']}, schema {result['schema']!r}:"]
    lines += [f"  {table:<14} {count:>6} rows" for table, count in result["tables"].items()]
    lines += ["", "Moves per direction:"]
    lines += [f"  {event:<6} {n:>5}" for event, n in result["moves_per_direction"].items()]
    lines += ["", "Most popular corner (two perpendicular moves in a row):"]
    lines += [f"  {corner:<13} {n:>5}" for corner, n in result["corners"].items()]
    far = result["how_far"]
    lines += ["", f"How far players get before starting a new game ({far['games']} games, "
              f"{far['avg_moves_per_game']} moves on average):"]  # fmt: skip
    lines += [
        f"  best tile {r['best_tile']:>5}: {r['games']:>3} games, {r['avg_moves']} moves on average"
        for r in far["by_best_tile"]
    ]
    lines += [
        f"  {p['player']:<10} {p['games']} games, best tile {p['best_tile']}, best score {p['best_score']}"
        for p in far["by_player"]
    ]
    fewest = far["fewest_moves_to_win"]
    lines.append(
        f"  Fewest key strokes to reach 2048: {fewest}"
        if fewest is not None
        else "  Nobody reached 2048 yet, so there is no minimum number of key strokes to win."
    )
    lines += [
        "",
        f"Done in {result['seconds']} s. "
        f"Houston login: {result['login']['email']} / {result['login']['password']}",
        f"Query the tables yourself: duckdb {result['warehouse']}",
        f"See the DAG run in the Airflow UI: EVENTYARD_HOME={result['home']} eventyard airflow",
    ]
    return lines

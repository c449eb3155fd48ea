"""The collector benchmark: the real collector and a bare echo app, same uvicorn config, same load.

Everything runs on 127.0.0.1 in a throw-away state directory (SQLite control DB, local
landing dir), bounded in time. Durable ACKs are always on: the collector answers only after
its spool fsync'd the events.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from eventyard.collector.bench import openloop
from eventyard.collector.bench.wrk import WrkResult, post_script, run_wrk
from eventyard.collector.http_protocol import HTTP_PROTOCOL

EVENTS_PER_BATCH = 50
APPS = {
    "collector": "eventyard.collector.app:create_app",
    "echo": "eventyard.collector.bench.echo:create_echo_app",
}


def track_event(i: int) -> dict[str, Any]:
    """A server-side track event, as the benchmarks send it (no messageId: the collector assigns one)."""
    return {
        "type": "track",
        "event": "Order Completed",
        "userId": f"user-{i}",
        "properties": {"order_id": f"o-{i}", "revenue": 42.5, "currency": "USD", "coupon": None},
        "context": {"library": {"name": "analytics-python", "version": "2.3.2"}},
        "timestamp": "2024-01-01T00:00:00.000Z",
    }


def batch_body() -> bytes:
    """A /v1/batch body of 50 events (the collector assigns messageIds)."""
    return orjson.dumps({"batch": [track_event(i) for i in range(EVENTS_PER_BATCH)]})


def single_body() -> bytes:
    """A /v1/t body: one track event."""
    return orjson.dumps(track_event(0))


@dataclass
class BenchConfig:
    """Knobs of one benchmark run."""

    seconds: float = 10.0
    connections: int = 64
    threads: int = 1
    workers: int = 2
    parquet_rows: int = 200_000
    # The open-loop constant-rate scenario (0 s skips it); rate None = half the saturated /v1/t rate.
    open_loop_seconds: float = 60.0
    open_loop_rate: float | None = None
    # Held before the window: longer than the flush interval (5 s), so a fresh collector has
    # sealed its first segment and sized its spare from it (its first segment grows on the hot
    # path: that start-up transient is not the steady state the window measures).
    open_loop_warmup: float = 7.0
    # Only the open-loop scenario (needs open_loop_rate): the quick way to compare latency tails.
    open_loop_only: bool = False
    # CPU-bound processes (one per CPU) beside each app during its open-loop window: "none",
    # "idle" or "low" (see ``background.KINDS``).
    background_load: str = "none"
    # How the collector's group commits wait for fdatasync (``EVENTYARD_SPOOL_FSYNC``): the bench
    # gives the collector a fresh home and none of the caller's EVENTYARD_* variables, so this is
    # the one way to choose it.
    spool_fsync: str = "blocking"
    # "mypyc" (the compiled intake, collector/compiled.py) or "python" (EVENTYARD_PURE_PYTHON=1),
    # for the same reason.
    intake: str = "mypyc"


@dataclass
class BenchReport:
    """Results by scenario and app, plus the spool -> Parquet rate."""

    results: dict[str, dict[str, WrkResult]] = field(default_factory=dict)
    spool_fsync: str = "blocking"
    intake: str = "mypyc"
    open_loop: dict[str, dict[str, Any]] = field(default_factory=dict)
    parquet_rows_per_s: float = 0.0
    landed_rows: int = 0
    # Other processes on the machine skew every figure: the 1-minute load average before the run.
    load_average: float = field(default_factory=lambda: os.getloadavg()[0])

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON output, with collector/echo ratios."""
        out: dict[str, Any] = {"scenarios": {}, "spool_to_parquet_rows_per_s": round(self.parquet_rows_per_s)}
        for scenario, by_app in self.results.items():
            entry: dict[str, Any] = {app: result.as_dict() for app, result in by_app.items()}
            if "collector" in by_app and "echo" in by_app and by_app["echo"].requests_per_s:
                entry["ratio"] = round(by_app["collector"].requests_per_s / by_app["echo"].requests_per_s, 3)
            out["scenarios"][scenario] = entry
        if self.open_loop:
            out["open_loop"] = self.open_loop
        out["landed_rows"] = self.landed_rows
        out["spool_fsync"] = self.spool_fsync
        out["intake"] = self.intake
        out["load_average_before"] = round(self.load_average, 2)
        out["cpus"] = os.cpu_count()
        return out


class Server:
    """One app under ``python -m eventyard.runtime.workers`` on a free loopback port, as production runs it.

    Both apps go through the runner ``eventyard collector --workers N`` uses (each worker on its
    own SO_REUSEPORT socket), and a scenario starts only once EVERY worker has started: with one
    worker still importing, the connections a scenario opens would all land on the other.
    """

    def __init__(self, app: str, env: dict[str, str], workers: int, log_path: Path) -> None:
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        ready_file = log_path.with_suffix(".ready")
        command = [
            sys.executable, "-m", "eventyard.runtime.workers", "--app", app, "--factory",
            "--host", "127.0.0.1", "--port", "0", "--workers", str(workers), "--http", HTTP_PROTOCOL,
            "--log-level", "warning", "--ready-file", str(ready_file),
        ]  # fmt: skip
        self.proc = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not ready_file.exists():
            if self.proc.poll() is not None:
                self._log.close()
                raise RuntimeError(f"{app} exited early; see {log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{app} did not become ready; see {log_path}")
            time.sleep(0.05)
        ready = orjson.loads(ready_file.read_bytes())
        self.port: int = ready["port"]
        self.workers: list[int] = ready["workers"]
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Graceful stop (the collector's lifespan shutdown runs its last flush)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def _prepare_home(home: Path) -> tuple[dict[str, str], str]:
    """Env for a throw-away state dir with a migrated control DB and one source; the write key."""
    from eventyard.db.engine import make_engine, session_scope
    from eventyard.db.migrate import upgrade
    from eventyard.db.models import Organization, Source
    from eventyard.ids import new_id

    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTYARD_")}
    env.update(
        EVENTYARD_HOME=str(home),
        EVENTYARD_SECRET_KEY=secrets.token_urlsafe(32),
        EVENTYARD_FLUSH_INTERVAL_SECONDS="5",
        PROMETHEUS_MULTIPROC_DIR=str(home / "prometheus"),
    )
    (home / "prometheus").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{home / 'control.db'}")
    upgrade(engine)
    write_key = new_id()
    with session_scope(engine) as session:
        org = Organization(name="bench")
        session.add(org)
        session.flush()
        session.add(Source(id=write_key, org_id=org.id, name="bench", platform="server"))
    engine.dispose()
    return env, write_key


def measure_spool_to_parquet(rows: int) -> float:
    """Rows per second of spool records -> zstd Parquet bytes (parse, columns, encode); best of 3."""
    from eventyard.collector.landing_writer import build_objects

    received = "2024-01-01T00:00:00.000Z"
    records = []
    for i in range(rows):
        message = {
            **track_event(i),
            "messageId": str(uuid.uuid4()),
            "receivedAt": received,
            "channel": "server",
        }
        records.append(orjson.dumps({"sourceId": "b" * 21, "receivedAt": received, "message": message}))
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        objects = build_objects(records, batch_prefix="bench", created=datetime.now(UTC))
        elapsed = time.perf_counter() - started
        assert sum(o.row_count for o in objects) == rows
        best = max(best, rows / elapsed)
    return best


def run_bench(config: BenchConfig, progress: Any = print) -> BenchReport:
    """Run every scenario against the collector, then the echo app, then the Parquet measurement."""
    report = BenchReport(spool_fsync=config.spool_fsync, intake=config.intake)
    scenarios = {
        f"/v1/batch ({EVENTS_PER_BATCH} events)": ("/v1/batch", batch_body(), EVENTS_PER_BATCH),
        "/v1/t (single)": ("/v1/t", single_body(), 1),
    }
    if config.open_loop_only:
        if not config.open_loop_rate:
            raise ValueError("the open-loop-only run needs a rate")
        scenarios = {}
    with tempfile.TemporaryDirectory(prefix="eventyard-bench-") as tmp:
        home = Path(tmp) / "home"
        env, write_key = _prepare_home(home)
        env["EVENTYARD_SPOOL_FSYNC"] = config.spool_fsync
        if config.intake == "python":
            env["EVENTYARD_PURE_PYTHON"] = "1"
        generator = openloop.build(Path(tmp)) if config.open_loop_seconds > 0 else None
        for app_name, app in APPS.items():
            progress(f"starting {app_name} ({config.workers} worker(s)) ...")
            server = Server(app, env, config.workers, Path(tmp) / f"{app_name}.log")
            try:
                for scenario, (path, body, per_request) in scenarios.items():
                    script = post_script(
                        Path(tmp), f"{app_name}-{path.strip('/').replace('/', '-')}", body, write_key
                    )
                    progress(f"  {app_name} {scenario}: wrk {config.seconds:g}s ...")
                    result = run_wrk(
                        server.url + path,
                        script,
                        seconds=config.seconds,
                        connections=config.connections,
                        threads=config.threads,
                        events_per_request=per_request,
                    )
                    report.results.setdefault(scenario, {})[app_name] = result
                    if app_name == "collector":
                        _wait_for_empty_spool(home / "spool", progress)
                if app_name == "collector" and scenarios:
                    report.results["/v1/t at half load"] = {
                        app_name: _half_load(server.url, Path(tmp), write_key, config, report, progress)
                    }
                if generator is not None:
                    if app_name == "collector":  # start the window on a drained spool
                        _wait_for_empty_spool(home / "spool", progress)
                    _open_loop(app_name, server, generator, env, write_key, config, report, progress)
            finally:
                server.stop()
        report.landed_rows = _landed_rows(env)
    if not config.open_loop_only:
        progress(f"spool -> Parquet over {config.parquet_rows:,} rows ...")
        report.parquet_rows_per_s = measure_spool_to_parquet(config.parquet_rows)
    return report


def _open_loop(
    app_name: str,
    server: Server,
    generator: Path,
    env: dict[str, str],
    write_key: str,
    config: BenchConfig,
    report: BenchReport,
    progress: Any,
) -> None:
    """/v1/t at a constant rate (half the saturated collector rate unless given), open loop."""
    from eventyard.collector.bench.background import background_load, describe
    from eventyard.collector.bench.tail import run_window

    rate = config.open_loop_rate
    if rate is None:
        rate = max(report.results["/v1/t (single)"]["collector"].requests_per_s / 2, 1.0)
    progress(f"  {app_name} /v1/t open loop at {rate:,.0f} req/s for {config.open_loop_seconds:g}s ...")
    processes = 0 if config.background_load == "none" else os.cpu_count() or 1
    # The cap only matters should the bench die without stopping them: warm-up, window, drain.
    limit = config.open_loop_warmup + config.open_loop_seconds + 120
    with background_load(config.background_load, processes, limit):
        summary = run_window(
            app_name,
            server.url,
            server.proc.pid,
            server.port,
            single_body(),
            write_key,
            generator=generator,
            rate=rate,
            seconds=config.open_loop_seconds,
            warmup=config.open_loop_warmup,
            connections=config.connections,
            tmp=generator.parent,
            database_url=f"sqlite:///{Path(env['EVENTYARD_HOME']) / 'control.db'}",
        )
    summary["background_load"] = describe(config.background_load, processes)
    report.open_loop[app_name] = summary


def _wait_for_empty_spool(spool_dir: Path, progress: Any, timeout: float = 120.0) -> None:
    """Let the collector land what a scenario spooled, so the next one starts on an idle machine."""
    from eventyard.collector.segment import list_segments
    from eventyard.collector.slots import slot_dirs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(list_segments(d) for _, d in slot_dirs(spool_dir)):
            return
        time.sleep(0.2)
    progress(f"  (the spool did not drain within {timeout:.0f}s; the next scenario shares the CPU with it)")


def _half_load(
    url: str, tmp: Path, write_key: str, config: BenchConfig, report: BenchReport, progress: Any
) -> WrkResult:
    """/v1/t paced at half the saturated rate just measured, for the p99-at-half-load target."""
    saturated = report.results["/v1/t (single)"]["collector"].requests_per_s
    target = max(saturated / 2, 1.0)
    script = post_script(
        tmp, "collector-half-load", single_body(), write_key, delay_ms=config.connections * 1000 / target
    )
    progress(f"  collector /v1/t paced at ~{target:,.0f} req/s: wrk {config.seconds:g}s ...")
    return run_wrk(
        url + "/v1/t",
        script,
        seconds=config.seconds,
        connections=config.connections,
        threads=config.threads,
        events_per_request=1,
    )


def _landed_rows(env: dict[str, str]) -> int:
    """Flush what the stopped collector left and count every landed row (a sanity check)."""
    from eventyard.collector.flusher import flush_all
    from eventyard.settings import Settings

    settings = Settings(home=Path(env["EVENTYARD_HOME"]), secret_key=env["EVENTYARD_SECRET_KEY"])
    flush_all(settings)
    from sqlalchemy import func, select

    from eventyard.db.engine import make_engine
    from eventyard.db.models import Batch

    engine = make_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        total = conn.execute(select(func.coalesce(func.sum(Batch.row_count), 0))).scalar_one()
    engine.dispose()
    return int(total)

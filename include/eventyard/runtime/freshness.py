"""``eventyard bench freshness``: how long from an event's send to its warehouse row and webhook.

The benchmark starts the real stack (``eventyard up``: collector, Houston, Airflow's scheduler,
DAG processor, triggerer and API server) in a throw-away state directory on free loopback ports,
configures a Postgres warehouse and a webhook destination through Houston, sends track events
at a steady rate, and notes when each one becomes a row (polling the warehouse) and when it
arrives at a local webhook receiver. Then it leaves the stack idle and measures the CPU time of
every process of the stack.
"""

from __future__ import annotations

import contextlib
import itertools
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from eventyard.runtime.local_stack import Houston, RunningStack

SCHEMA = "bench"
EVENT_ROWS = 'SELECT id FROM "bench"."bench_tick"'  # SCHEMA's table of the "Bench Tick" event
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server", "api_server", "collector", "houston")


class ArrivalReceiver:
    """A webhook endpoint that notes when each messageId first arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                now = time.time()
                body = orjson.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                for message in body if isinstance(body, list) else [body]:
                    receiver.arrived.setdefault(str(message.get("messageId")), now)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new database on the Postgres server at ``server_url``, dropped afterwards."""
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"eventyard_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class FreshnessResult:
    """What the benchmark measured."""

    sent: dict[str, float] = field(default_factory=dict)
    in_warehouse: dict[str, float] = field(default_factory=dict)
    at_webhook: dict[str, float] = field(default_factory=dict)
    idle_cpu: dict[str, float] = field(default_factory=dict)  # % of one core, per component
    idle_wakeups: dict[str, float] = field(default_factory=dict)  # context switches per second
    memory_mb: float = 0.0
    processes: int = 0

    def latencies(self, seen: dict[str, float]) -> list[float]:
        """Seconds from send to ``seen`` for every event that was seen."""
        return sorted(seen[m] - t for m, t in self.sent.items() if m in seen)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``values`` (seconds)."""
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]
    return {"p50": statistics.median(values), "p95": p95, "max": max(values)}


def _send_steadily(stack: RunningStack, write_key: str, rate: float, seconds: float) -> dict[str, float]:
    sent: dict[str, float] = {}
    total = max(1, int(rate * seconds))
    start = time.monotonic()
    with httpx.Client(base_url=stack.collector_url, auth=(write_key, ""), timeout=10) as client:
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            message_id = f"fresh-{i:06d}-{uuid.uuid4().hex[:8]}"
            body = {"userId": f"u{i % 50}", "event": "Bench Tick", "messageId": message_id}
            client.post("/v1/track", json={**body, "properties": {"i": i}}).raise_for_status()
            sent[message_id] = time.time()  # acknowledged: durable in the spool
    return sent


def _poll_warehouse(url: str, seen: dict[str, float], stop: threading.Event) -> None:
    engine = create_engine(url)
    try:
        while not stop.is_set():
            with contextlib.suppress(Exception), engine.connect() as conn:  # table may not exist yet
                now = time.time()
                for (message_id,) in conn.execute(text(EVENT_ROWS)):
                    seen.setdefault(message_id, now)
            stop.wait(0.5)
    finally:
        engine.dispose()


@dataclass
class IdleCost:
    """What the idle stack cost over a window, per component."""

    cpu: dict[str, float]  # % of one core
    wakeups: dict[str, float]  # context switches per second, every thread of every process
    memory_mb: float  # PSS of the whole stack
    processes: int


def measure_idle(stack: RunningStack, seconds: float) -> IdleCost:
    """CPU (% of one core) and wake-ups per second per component over ``seconds``, memory, processes.

    Wake-ups (voluntary plus involuntary context switches of every thread) are the steadier
    figure on a busy machine: CPU time per wake-up grows with the load, their number does not.
    """
    import psutil

    assert stack.process is not None
    root = psutil.Process(stack.process.pid)

    def tree() -> dict[int, tuple[str, float, int]]:
        out: dict[int, tuple[str, float, int]] = {}
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                out[proc.pid] = (_component(proc.cmdline()), times.user + times.system, _switches(proc))
        return out

    before, started = tree(), time.monotonic()
    time.sleep(seconds)
    after, elapsed = tree(), time.monotonic() - started
    cpu: dict[str, float] = {}
    wakeups: dict[str, float] = {}
    for pid, (name, spent, switches) in after.items():
        _, spent_before, switches_before = before.get(pid, (name, 0.0, 0))
        cpu[name] = cpu.get(name, 0.0) + (spent - spent_before) / elapsed * 100
        wakeups[name] = wakeups.get(name, 0.0) + (switches - switches_before) / elapsed
    memory = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            memory += proc.memory_full_info().pss
    return IdleCost(cpu, wakeups, memory / 1e6, len(after))


def _switches(proc: Any) -> int:
    """Context switches so far of every thread of ``proc`` (``/proc``; psutil's count is one thread's)."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{proc.pid}/task").iterdir())
    except OSError:
        switches = proc.num_ctx_switches()
        return int(switches.voluntary + switches.involuntary)
    for task in tasks:
        with contextlib.suppress(OSError):
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


def _component(cmdline: list[str]) -> str:
    line = " ".join(cmdline)
    words = line.split()
    if any(w.endswith("eventyard") and nxt == "up" for w, nxt in itertools.pairwise(words)):
        return "supervisor"  # `eventyard up --collector-port ...` is not the collector
    if "eventyard.collector" in line:
        return "collector"  # its lander child process
    for name in COMPONENTS:
        if name in line:
            return name.replace("api_server", "api-server")
    if "LocalExecutor" in line or "worker" in line:
        return "scheduler"  # the LocalExecutor's workers are the scheduler's children
    return "supervisor"


def run_freshness(postgres_url: str, rate: float, seconds: float, idle_seconds: float) -> FreshnessResult:
    """Run the whole benchmark; see the module docstring."""
    result = FreshnessResult()
    scratch = tempfile.TemporaryDirectory(prefix="eventyard-freshness-")
    with scratch as tmp, scratch_database(postgres_url) as wh:
        secret = {"EVENTYARD_SECRET_KEY": uuid.uuid4().hex * 2}
        stack = RunningStack.start(Path(tmp) / "home", extra_env=secret)
        receiver = ArrivalReceiver()
        try:
            stack.wait_ready(600)
            account = stack.bootstrap("bench@example.com", "bench password 1", "Bench", "bench")
            houston = Houston(stack.houston_url, account["token"], account["orgId"])
            source = account["sourceId"]
            parsed = make_url(wh)
            details = {
                "host": parsed.host or "127.0.0.1",
                "port": parsed.port or 5432,
                "database": parsed.database,
                "user": parsed.username,
                "password": parsed.password or "",
                "sslmode": "disable",
            }
            houston.add_integration(source, "postgres", details, {"namespace": SCHEMA})
            hook = {"webhookUrl": receiver.url}
            houston.add_integration(source, "webhooks", hook, {"enableBatching": True})
            # One event end to end first: tables exist and the DAGs have run once (not measured).
            warm = _send_steadily(stack, source, 1.0, 1.0)
            _wait(lambda: set(warm) <= receiver.arrived.keys(), 300)
            stop = threading.Event()
            watcher = threading.Thread(
                target=_poll_warehouse, args=(wh, result.in_warehouse, stop), daemon=True
            )
            watcher.start()
            result.sent = _send_steadily(stack, source, rate, seconds)
            wanted = set(result.sent)
            _wait(lambda: wanted <= result.in_warehouse.keys() and wanted <= receiver.arrived.keys(), 300)
            stop.set()
            watcher.join()
            result.at_webhook = dict(receiver.arrived)
            _wait(lambda: not _runs_in_flight(stack), 300)  # the last runs finish: then it is idle
            time.sleep(10)
            idle = measure_idle(stack, idle_seconds)
            result.idle_cpu, result.idle_wakeups = idle.cpu, idle.wakeups
            result.memory_mb, result.processes = idle.memory_mb, idle.processes
        finally:
            receiver.close()
            stack.stop()
    return result


def _runs_in_flight(stack: RunningStack) -> bool:
    """Whether Airflow has a DAG run queued or running (its SQLite metadata DB, read-only)."""
    import sqlite3

    path = stack.home / "airflow" / "airflow.db"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        busy = db.execute("SELECT count(*) FROM dag_run WHERE state IN ('queued', 'running')").fetchone()
    return bool(busy and busy[0])


def _wait(done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.5)

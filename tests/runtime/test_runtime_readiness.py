"""When ``eventyard up`` calls a service ready: its URL answers AND its ready file exists.

A collector with several workers answers ``/readyz`` as soon as its first worker has started;
only its ready file (written by the parent once every worker has) says all of them have.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

from eventyard.runtime.stack import Ports, ReadinessWatch, stack_services
from eventyard.runtime.supervisor import Service, Supervisor, is_ready
from eventyard.settings import Settings
from tests.conftest import free_port

PY = sys.executable


def _answering_server(port: int, ready_file: Path, delay: float) -> str:
    """A service that answers HTTP at once and writes its ready file ``delay`` seconds later."""
    return (
        "import http.server, threading, time\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
        "    def log_message(self, *a): pass\n"
        f"s = http.server.HTTPServer(('127.0.0.1', {port}), H)\n"
        "threading.Thread(target=s.serve_forever, daemon=True).start()\n"
        f"time.sleep({delay})\n"
        f"open({str(ready_file)!r}, 'w').write(str(time.time()))\n"
        "time.sleep(300)\n"
    )


def _poll(watch: ReadinessWatch, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not watch.done:
        assert time.monotonic() < deadline, "never ready"
        watch()
        time.sleep(0.05)


def test_a_service_is_ready_only_once_its_url_answers_and_its_file_exists(tmp_path: Path) -> None:
    port, ready_file = free_port(), tmp_path / "svc.ready"
    ready_file.write_text("left over by an earlier run")
    service = Service(
        name="svc",
        argv=[PY, "-u", "-c", _answering_server(port, ready_file, delay=2.0)],
        env=dict(os.environ),
        ready_url=f"http://127.0.0.1:{port}/",
        ready_file=ready_file,
    )
    reported: list[float] = []
    supervisor = Supervisor([service], out=io.StringIO(), color=False)
    supervisor.start()
    try:
        assert not ready_file.exists(), "a stale ready file is removed before the service starts"
        watch = ReadinessWatch([service], on_ready=lambda s: reported.append(time.time()))
        _poll(watch)
        written = float(ready_file.read_text())
        assert len(reported) == 1 and reported[0] >= written
        assert is_ready(service)
    finally:
        supervisor.request_stop()
        supervisor.wait()


def test_a_service_started_after_another_waits_for_its_ready_file(tmp_path: Path) -> None:
    ready_file, started_file = tmp_path / "first.ready", tmp_path / "second.started"
    stamp = "open({!r}, 'w').write(str(time.time())); time.sleep(300)"
    first = Service(
        name="first",
        argv=[PY, "-c", "import time; time.sleep(1.5); " + stamp.format(str(ready_file))],
        env=dict(os.environ),
        ready_file=ready_file,
    )
    second = Service(
        name="second",
        argv=[PY, "-c", "import time; " + stamp.format(str(started_file))],
        env=dict(os.environ),
        after="first",
    )
    supervisor = Supervisor([first, second], out=io.StringIO(), color=False)
    supervisor.start(ready_timeout=60)
    try:
        deadline = time.monotonic() + 60
        while not started_file.exists():
            assert time.monotonic() < deadline, "the second service never started"
            time.sleep(0.05)
        assert float(started_file.read_text()) >= float(ready_file.read_text())
    finally:
        supervisor.request_stop()
        supervisor.wait()


def test_up_waits_for_every_collector_worker(sqlite_settings: Settings, tmp_path: Path) -> None:
    """The collector service of ``eventyard up`` with 2 workers: ready means both have started."""
    ports = Ports(collector=free_port(), houston=free_port(), airflow=free_port())
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = {**os.environ, "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(ports.airflow)}
    services = stack_services(env, ports, collector_workers=2, run_dir=run_dir)
    collector = next(s for s in services if s.name == "collector")
    assert collector.ready_file == run_dir / "collector.ready"
    assert list(collector.argv[-2:]) == ["--ready-file", str(run_dir / "collector.ready")]
    supervisor = Supervisor([collector], out=io.StringIO(), color=False)
    supervisor.start()
    try:
        _poll(ReadinessWatch([collector], on_ready=lambda s: None), timeout=120)
        workers = json.loads((run_dir / "collector.ready").read_text())["workers"]
        assert len(workers) == 2
        for pid in workers:
            os.kill(pid, 0)  # both alive and started
    finally:
        supervisor.request_stop()
        assert supervisor.wait() == 0
    assert not (run_dir / "collector.ready").exists(), "removed when the collector stops"


def test_without_a_run_dir_the_collector_has_no_ready_file() -> None:
    collector = stack_services({"AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": "8280"}, Ports())[0]
    assert collector.ready_file is None and "--ready-file" not in collector.argv

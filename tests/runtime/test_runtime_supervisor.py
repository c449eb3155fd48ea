"""The supervisor behind ``eventyard up``: one prefixed stream, one stop for everything."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from pathlib import Path

from eventyard.runtime.supervisor import Service, Supervisor

PY = sys.executable


def _service(name: str, code: str) -> Service:
    return Service(name=name, argv=[PY, "-u", "-c", code], env=dict(os.environ))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_lines_are_prefixed_and_a_stop_reaches_forked_children(tmp_path: Path) -> None:
    child_pid_file = tmp_path / "child.pid"
    # A service that forks a worker (like the LocalExecutor) and then waits forever.
    forking = (
        "import os, time, subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"open({str(child_pid_file)!r}, 'w').write(str(p.pid))\n"
        "print('hello from a', flush=True)\n"
        "time.sleep(300)\n"
    )
    out = io.StringIO()
    supervisor = Supervisor(
        [_service("alpha", forking), _service("b", "import time; print('hi'); time.sleep(300)")],
        out=out,
        color=False,
    )
    supervisor.start()
    deadline = time.monotonic() + 60
    while not child_pid_file.exists() or "hello from a" not in out.getvalue():
        assert time.monotonic() < deadline, out.getvalue()
        time.sleep(0.1)
    grandchild = int(child_pid_file.read_text())
    threading.Timer(0.5, supervisor.request_stop).start()  # what Ctrl-C does
    assert supervisor.wait() == 0
    text = out.getvalue()
    assert "alpha | hello from a" in text and "b     | hi" in text
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild), "the forked worker was stopped with its service"


def test_one_service_exiting_stops_the_others_with_an_error() -> None:
    out = io.StringIO()
    supervisor = Supervisor(
        [_service("steady", "import time; time.sleep(300)"), _service("crashy", "import sys; sys.exit(3)")],
        out=out,
        color=False,
    )
    supervisor.start()
    started = time.monotonic()
    assert supervisor.wait() == 1
    assert time.monotonic() - started < 60
    text = out.getvalue()
    assert "crashy | exited with code 3; stopping the rest" in text
    assert "steady | stopped" in text

"""CPU-bound background processes for the open-loop window: a machine that also runs other work.

A collector rarely has its machine to itself: a log shipper, a backup, a batch job share it,
usually at a lower priority. Decision 0040 found that such work, even in the idle scheduling
class, takes the collector's p99 from a few milliseconds to tens or hundreds: it runs while
the workers wait for their fsyncs, their CPU per request grows by half, and their event loops
saturate. The echo app does not notice it. ``eventyard bench collector
--background-load idle`` reproduces that in one command, so a change to how the workers wait
for durability can be judged against it.

Each process is a pure-Python busy loop (no I/O, little memory) that puts itself in the
requested class before it reports ready, and stops by itself after ``limit_s`` should the
bench die without stopping it.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

# name -> how the process lowers itself before it starts burning
KINDS: dict[str, str] = {
    "none": "no background processes",
    "idle": "in the idle scheduling class (SCHED_IDLE)",
    "low": "at nice 19",
}

_LOOP = """
import os, sys, time
kind, limit = sys.argv[1], float(sys.argv[2])
if kind == "idle":
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
else:
    os.nice(19)
print("ready", flush=True)
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    pass
"""


def describe(kind: str, processes: int) -> str:
    """One line for the report: what ran beside the app during the window."""
    if kind == "none" or processes == 0:
        return "background load: none"
    return f"background load: {processes} CPU-bound process(es) {KINDS[kind]}"


@contextlib.contextmanager
def background_load(kind: str, processes: int, limit_s: float) -> Iterator[list[int]]:
    """Run ``processes`` busy loops of ``kind`` for the duration of the block; yields their pids."""
    if kind not in KINDS:
        raise ValueError(f"unknown background load {kind!r}: one of {', '.join(KINDS)}")
    if kind == "none":
        yield []
        return
    procs: list[subprocess.Popen[str]] = []
    try:
        for _ in range(processes):
            proc = subprocess.Popen(
                [sys.executable, "-c", _LOOP, kind, f"{limit_s:g}"], stdout=subprocess.PIPE, text=True
            )
            procs.append(proc)
        for proc in procs:  # each is in its class before the window starts
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a background load process failed to start (exit {proc.wait()})")
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

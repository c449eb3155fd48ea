"""Driving a server with wrk: Lua scripts for authenticated POST bodies, and parsing its results."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRK_MISSING = (
    "wrk is not installed. Install it with `apt-get install wrk` (Debian/Ubuntu) or `make bench-deps`."
)

# wrk calls done() once at the end: print one machine-readable line next to its usual report.
_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles and errors."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    events_per_request: int

    @property
    def requests_per_s(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def events_per_s(self) -> float:
        """Events per second (requests x events per request)."""
        return self.requests_per_s * self.events_per_request

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON output."""
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(self.requests_per_s, 1),
            "events_per_s": round(self.events_per_s, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "errors": self.errors,
        }


def wrk_path() -> str:
    """The wrk executable, or a clear error telling how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError(WRK_MISSING)
    return path


def post_script(
    directory: Path, name: str, body: bytes, write_key: str, *, delay_ms: float | None = None
) -> Path:
    """A wrk Lua script that POSTs ``body`` as JSON with Basic auth (write key as the user).

    ``delay_ms`` makes every connection pause between requests (wrk's ``delay()`` hook), which
    turns the closed loop into a roughly fixed request rate: connections x 1000 / delay_ms.
    """
    token = base64.b64encode(f"{write_key}:".encode()).decode()
    lua_body = body.decode().replace("\\", "\\\\").replace("'", "\\'")
    script = directory / f"{name}.lua"
    script.write_text(
        "wrk.method = 'POST'\n"
        "wrk.headers['Content-Type'] = 'application/json'\n"
        f"wrk.headers['Authorization'] = 'Basic {token}'\n"
        f"wrk.body = '{lua_body}'\n"
        + (f"delay = function() return {delay_ms:.3f} end\n" if delay_ms else "")
        + _DONE
    )
    return script


def run_wrk(
    url: str, script: Path, *, seconds: float, connections: int, threads: int, events_per_request: int
) -> WrkResult:
    """Run wrk for a bounded time against a loopback URL and parse its summary."""
    if not url.startswith(("http://127.", "http://localhost")):
        raise ValueError(f"refusing to load-test {url}: loopback only")
    command = [
        wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line[len("WRKJSON ") :])
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        events_per_request=events_per_request,
    )

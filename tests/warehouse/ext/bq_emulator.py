"""The BigQuery emulator (the ``bqemulator`` PyPI package) as a subprocess on a free loopback port.

It runs from its own virtualenv, ``.venv/bqemulator`` (``make setup`` builds it from
requirements-bqemulator.txt): bqemulator needs DuckDB 1.5.5 with the spatial extension, which the
``duckdb-extension-spatial`` package ships and which is copied into a private DuckDB extension
directory (a throw-away HOME) before the emulator starts, since it cannot download anything.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[3]
EMULATOR_VENV = REPO / ".venv" / "bqemulator"
PROJECT = "eventyard-test"


class EmulatorUnavailable(RuntimeError):
    """The emulator's virtualenv is missing or the emulator did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _install_spatial(home: Path) -> None:
    """Copy duckdb-extension-spatial's binary where DuckDB looks for installed extensions."""
    shipped = sorted(EMULATOR_VENV.glob("lib/python*/site-packages/duckdb_extension_spatial/extensions/*"))
    if not shipped:
        raise EmulatorUnavailable(f"duckdb-extension-spatial is not installed in {EMULATOR_VENV}")
    version_dir = shipped[-1]  # e.g. .../extensions/v1.5.5
    target = home / ".duckdb" / "extensions" / version_dir.name / "linux_amd64"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(version_dir / "spatial.duckdb_extension", target / "spatial.duckdb_extension")


@contextmanager
def bigquery_emulator(workdir: Path) -> Iterator[str]:
    """Start the emulator; yield its REST endpoint URL; stop it afterwards."""
    binary = EMULATOR_VENV / "bin" / "bqemulator"
    if not binary.exists():
        raise EmulatorUnavailable(f"{binary} is missing: run `make setup`")
    home = workdir / "home"
    _install_spatial(home)
    port, grpc_port = _free_port(), _free_port()
    log = (workdir / "bqemulator.log").open("w")
    proc = subprocess.Popen(
        [str(binary), "start", "--rest-host", "127.0.0.1", "--rest-port", str(port),
         "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc_port),
         "--project", PROJECT, "--ephemeral", "--log-level", "warning"],
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "TMPDIR": str(workdir)},
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise EmulatorUnavailable(
                    f"bqemulator exited: {(workdir / 'bqemulator.log').read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{url}/bigquery/v2/projects/{PROJECT}/datasets", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise EmulatorUnavailable("bqemulator did not answer within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

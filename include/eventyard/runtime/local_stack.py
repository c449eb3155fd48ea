"""Drive a local stack from outside, as a person would: ``eventyard up`` plus Houston's API.

Used by ``eventyard bench freshness`` and the end-to-end tests: start ``eventyard up`` on
chosen ports in its own state directory, wait until it prints that it is up, configure sources
and integrations through Houston's GraphQL API, and stop it with the same signal Ctrl-C sends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eventyard.errors import FatalError
from eventyard.runtime.stack import Ports

READY_LINE = "is up (Ctrl-C stops everything)"


class StackError(FatalError, RuntimeError):
    """The stack did not start, or Houston refused a request; the message has the details."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports() -> Ports:
    """Ports for a stack that does not collide with anything listening now."""
    return Ports(host="127.0.0.1", collector=free_port(), houston=free_port(), airflow=free_port())


def stack_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment minus any Airflow setting, with ``home`` as EVENTYARD_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.pop("EVENTYARD_DATABASE_URL", None)
    env.pop("EVENTYARD_LANDING_URL", None)
    env["EVENTYARD_HOME"] = str(home)
    env.update(extra or {})
    return env


@dataclass
class RunningStack:
    """An ``eventyard up`` process, its ports and its log file."""

    home: Path
    ports: Ports
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: Any = field(default=None, repr=False)

    @classmethod
    def start(cls, home: Path, *, extra_env: dict[str, str] | None = None) -> RunningStack:
        """Start ``eventyard up`` on free ports with ``home`` as its state directory."""
        home.mkdir(parents=True, exist_ok=True)
        stack = cls(home, free_ports(), stack_env(home, extra_env), home / "eventyard-up.log")
        p = stack.ports
        argv = [str(Path(sys.executable).with_name("eventyard")), "up", "--host", p.host]
        argv += ["--collector-port", str(p.collector), "--houston-port", str(p.houston)]
        argv += ["--airflow-port", str(p.airflow)]
        stack._log = stack.log_path.open("ab")
        stack.process = subprocess.Popen(
            argv, env=stack.env, stdout=stack._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return stack

    def wait_ready(self, timeout: float) -> None:
        """Block until the stack prints that it is up; raise ``StackError`` with its log if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise StackError(f"eventyard up exited with {self.process.returncode}:\n{self.log_tail()}")
            if READY_LINE in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise StackError(f"eventyard up not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 120) -> str:
        """The last lines of the stack's merged log (for failure messages)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 60.0) -> int | None:
        """Ctrl-C (SIGINT) the stack and wait; kill its process group if it does not stop."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log is not None:
            self._log.close()
        return self.process.returncode

    @property
    def collector_url(self) -> str:
        """Base URL of the collector."""
        return f"http://127.0.0.1:{self.ports.collector}"

    @property
    def houston_url(self) -> str:
        """Houston's GraphQL endpoint."""
        return f"http://127.0.0.1:{self.ports.houston}/graphql"

    def bootstrap(self, email: str, password: str, org: str, source: str) -> dict[str, str]:
        """``eventyard bootstrap`` against this stack's state: token, orgId, sourceId."""
        proc = subprocess.run(
            [
                *(str(Path(sys.executable).with_name("eventyard")), "bootstrap", "--email", email),
                *("--password", password, "--org", org, "--source", source),
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            raise StackError(f"eventyard bootstrap failed: {proc.stderr[-2000:]}")
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@dataclass
class Houston:
    """A logged-in client of Houston's GraphQL API (one organization)."""

    url: str
    token: str
    org_id: str

    def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL operation; return ``data`` or raise ``StackError`` with the errors."""
        headers = {"authorization": f"Bearer {self.token}", "organization": self.org_id}
        payload = {"query": query, "variables": variables}
        reply = httpx.post(self.url, json=payload, headers=headers, timeout=30)
        body = reply.json()
        if reply.status_code != 200 or body.get("errors"):
            raise StackError(f"Houston: {reply.status_code} {body}")
        return dict(body["data"])

    def mutate(self, field_name: str, query: str, variables: dict[str, Any]) -> str:
        """Run a mutation returning Houston's ``statusMessage``; return the id it created."""
        status = self.call(query, variables)[field_name]
        if not status["success"]:
            raise StackError(f"{field_name}: {status}")
        return str(status["id"])

    def create_source(self, name: str) -> str:
        """A new source (application); returns its id, the write key."""
        return self.mutate(
            "createApplication",
            'mutation($o: ID!, $n: String!) { createApplication(name: $n, platform: "analytics.js",'
            " orgId: $o) { success message id code } }",
            {"o": self.org_id, "n": name},
        )

    def add_integration(
        self, source_id: str, code: str, details: dict[str, Any], config: dict[str, Any] | None = None
    ) -> str:
        """A connection with ``details`` and an enabled integration of ``source_id``; returns its id."""
        connection = self.mutate(
            "createConnection",
            "mutation($o: ID!, $c: String!, $p: String!, $d: JSON!) { createConnection(integrationCode: $c,"
            " connectionPrototypeId: $p, name: $c, orgId: $o, details: $d) { success message id code } }",
            {"o": self.org_id, "c": code, "p": f"{code}-v1", "d": details},
        )
        return self.mutate(
            "createIntegration",
            "mutation($a: ID!, $c: String!, $k: ID!, $p: JSON!) { createIntegration(appId: $a,"
            " integrationCode: $c, connectionId: $k, name: $c, configPayload: $p)"
            " { success message id code } }",
            {"a": source_id, "c": code, "k": connection, "p": config or {}},
        )

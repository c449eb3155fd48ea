"""One worker of ``runtime/workers.py``: an ASGI app on ``QuietServer``, on a socket its parent bound.

The parent (``python -m eventyard.runtime.workers`` or ``eventyard collector --workers N``) binds
the listening sockets and starts each worker as ``python -m eventyard.runtime.worker`` with the
socket's file descriptor, the write end of a readiness pipe and an :class:`AppSpec` as JSON. The
worker dies with its parent (``PR_SET_PDEATHSIG``), serves until SIGTERM/SIGINT (uvicorn's
graceful shutdown: the app's lifespan shutdown runs), and writes one byte to the pipe once its
start-up finished, which is how the parent knows every worker is ready.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
from dataclasses import asdict, dataclass
from types import FrameType
from typing import Any

_PR_SET_PDEATHSIG = 1
STARTUP_FAILURE = 3  # uvicorn's exit code when the server did not start (same as quiet_uvicorn's)
# A worker that has neither finished its start-up nor exited after this long is killed (and then
# restarted like one that failed): a hung start-up (a database that accepts connections but never
# answers) must not leave a slot silently dead. The collector starts in seconds; generous.
STARTUP_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class AppSpec:
    """What every worker serves, and how: the options ``eventyard collector`` gives uvicorn."""

    app: str  # "module:attribute"
    factory: bool = True
    host: str = "127.0.0.1"  # for uvicorn's logs and proxy headers; the socket is already bound
    port: int = 8080
    http: str = "httptools"
    proxy_headers: bool = True
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "info"

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``uvicorn.Config`` after the app: the same for one worker or N."""
        return {
            "factory": self.factory,
            "host": self.host,
            "port": self.port,
            "loop": "uvloop",
            "http": self.http,
            "proxy_headers": self.proxy_headers,
            "forwarded_allow_ips": self.forwarded_allow_ips,
            "access_log": False,  # one log line per event request would cost more than the request
            "log_level": self.log_level,
        }

    def to_json(self) -> str:
        """The spec on a worker's command line."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> AppSpec:
        """The spec back from a worker's command line."""
        return cls(**json.loads(text))


def die_with_parent(parent: int, sig: int = signal.SIGTERM) -> None:
    """Ask Linux to send ``sig`` when the parent dies (SIGTERM: the spool's last flush still runs),
    and exit now if it died already (before the request could take effect)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:
        sys.exit(0)


def _exit_quietly(sig: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def exit_zero_on_stop_signals() -> None:
    """SIGTERM/SIGINT end the process with exit code 0 (and ``finally`` blocks run).

    Before uvicorn installs its handlers (imports, app loading) a stop signal just ends the
    process; after its graceful shutdown uvicorn re-raises the signal it caught, which lands
    here too, so a server stopped on purpose exits 0 rather than "killed by SIGTERM".
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_quietly)


def serve(spec: AppSpec, sock: socket.socket, ready_fd: int | None) -> int:
    """Run the app on ``sock`` until a stop signal; the exit code (``STARTUP_FAILURE``: never started)."""
    import uvicorn

    from eventyard.runtime.quiet_uvicorn import QuietServer

    def started(server: QuietServer) -> None:
        if ready_fd is not None:
            os.write(ready_fd, b"r")
            os.close(ready_fd)

    config = uvicorn.Config(spec.app, **spec.uvicorn_options())
    server = QuietServer(config, on_started=started)
    server.run(sockets=[sock])
    return 0 if server.started else STARTUP_FAILURE


def main(argv: list[str] | None = None) -> None:
    """``python -m eventyard.runtime.worker --socket-fd N --ready-fd M --parent PID --spec JSON``."""
    parser = argparse.ArgumentParser(prog="eventyard.runtime.worker", description=__doc__)
    parser.add_argument("--socket-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--spec", required=True)
    args = parser.parse_args(argv)
    die_with_parent(args.parent)
    exit_zero_on_stop_signals()
    # Not inherited by what the app starts (the collector's landing child): a grandchild holding
    # the readiness pipe or the listening socket would outlive this worker's role.
    os.set_inheritable(args.socket_fd, False)
    if args.ready_fd is not None:
        os.set_inheritable(args.ready_fd, False)
    sock = socket.socket(fileno=args.socket_fd)
    sys.exit(serve(AppSpec.from_json(args.spec), sock, args.ready_fd))


if __name__ == "__main__":
    main()

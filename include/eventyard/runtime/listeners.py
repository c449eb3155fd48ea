"""The listening sockets of ``runtime/workers.py``: one per worker, sharing the port with SO_REUSEPORT.

Linux hashes each new connection to one of the sockets bound to the same address with
``SO_REUSEPORT``, so workers that each accept on their own socket share the load from the first
connection on (decision 0036). Also the ready file a parent writes once its workers are up.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from pathlib import Path

from eventyard.errors import FatalError

BACKLOG = 2048  # uvicorn's default listen backlog
log = logging.getLogger("uvicorn.error")


class ListenError(FatalError, OSError):
    """The address cannot be listened on (taken, not local, no permission); the message names it."""


def reuseport_supported() -> bool:
    """Linux spreads connections over sockets sharing a port; BSD/macOS ``SO_REUSEPORT`` does not."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _new_socket(host: str, reuseport: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def listen(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on host:port sharing it with SO_REUSEPORT (port 0: a free one).

    Without SO_REUSEPORT load balancing (not Linux): one socket, shared by every worker.
    """
    # A probe without SO_REUSEPORT first: bound with it, our sockets would silently join any
    # same-user process already listening there with it (a second collector) instead of failing.
    probe = _new_socket(host, reuseport=False)
    try:
        probe.bind((host, port))
        port = probe.getsockname()[1]
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    finally:
        probe.close()
    reuseport = reuseport_supported() and count > 1
    sockets: list[socket.socket] = []
    try:
        for _ in range(count if reuseport else 1):
            sock = _new_socket(host, reuseport)
            sock.bind((host, port))
            sock.listen(BACKLOG)  # now: connections queue even before a worker accepts
            sockets.append(sock)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if not reuseport and count > 1:
        log.warning("no SO_REUSEPORT balancing on %s: the %d workers share one socket", sys.platform, count)
    return sockets


def write_ready_file(path: Path, *, port: int, workers: list[int]) -> None:
    """``{"pid", "port", "workers"}`` written whole (a reader never sees half of it)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"pid": os.getpid(), "port": port, "workers": workers}))
    partial.replace(path)

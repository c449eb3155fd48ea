"""A TCP port that refuses connections until opened, then forwards them to a real server.

Stands for a warehouse that is unreachable for a while: connecting to the gate's port fails
with ECONNREFUSED (nothing listens) until ``open()``; after that every connection is piped to
the target (the real Postgres).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading


class _Pipe(socketserver.BaseRequestHandler):
    target: tuple[str, int]

    def handle(self) -> None:
        upstream = socket.create_connection(self.target, timeout=30)
        client: socket.socket = self.request

        def pump(src: socket.socket, dst: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := src.recv(65536):
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream)
        back.join(timeout=60)
        upstream.close()


class TcpGate:
    """Closed (connection refused) on ``port`` until ``open()``; then a forwarder to ``target``."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port = port
        self.target = target
        self._server: socketserver.ThreadingTCPServer | None = None

    def open(self) -> None:
        """Start listening on the gate's port and forwarding to the target."""
        handler = type("Pipe", (_Pipe,), {"target": self.target})
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self._server = server

    def close(self) -> None:
        """Stop listening (connections in flight end with their clients)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

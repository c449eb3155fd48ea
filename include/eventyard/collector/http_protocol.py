"""Uvicorn's httptools protocol with the two limits it lacks: header size and header-read time.

httptools buffers a request line and headers of any size (a 128 MB header was answered 200,
and the worker kept 837 MB), and nothing times out a client that trickles its headers in a
byte at a time (slowloris). This subclass counts the bytes fed to the parser until the headers
are complete and answers ``431`` past ``collector_max_header_bytes`` (nothing beyond the limit
is ever fed to the parser), and answers ``408`` and closes when the headers of a request have
not arrived within ``collector_header_timeout_seconds`` of its first byte (or of the connection,
if it sends nothing). ``eventyard collector`` runs uvicorn with it; by hand:
``uvicorn api.collector:app --http eventyard.collector.http_protocol:BoundedHttpToolsProtocol``.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from eventyard.collector import metrics
from eventyard.settings import get_settings

LINGER_SECONDS = 2.0  # after a 431/408, how long the rest of the client's bytes are read and dropped
# What uvicorn's --http option (or Config(http=...)) takes to use this protocol.
HTTP_PROTOCOL = "eventyard.collector.http_protocol:BoundedHttpToolsProtocol"


@lru_cache(maxsize=1)
def _limits() -> tuple[int, float]:
    settings = get_settings()
    return settings.collector_max_header_bytes, settings.collector_header_timeout_seconds


def _error(status: bytes, code: str, message: str) -> bytes:
    body = b'{"success":false,"message":"%s","code":"%s"}' % (message.encode(), code.encode())
    return (
        b"HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
        % (status, len(body), body)
    )


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that bounds the size and arrival time of each request's headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_header_bytes, self.header_timeout = _limits()
        self._reading_headers = True  # until on_headers_complete; again after on_message_complete
        self._header_bytes = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock: a connection that never sends a request is closed too."""
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock."""
        self._disarm_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, but never more header bytes than the limit."""
        if self._refused:
            return  # lingering after a refusal: read and drop, so the client can read the answer
        if not self._reading_headers:
            super().data_received(data)
            return
        if self._header_timer is None:
            self._arm_header_timer()
        room = self.max_header_bytes - self._header_bytes
        if len(data) <= room:
            self._header_bytes += len(data)
            super().data_received(data)
            return
        # The limit falls inside this chunk: feed up to it; the headers must have ended by then.
        self._header_bytes += room
        super().data_received(data[:room])
        if self._reading_headers:
            limit = self.max_header_bytes
            self._refuse(b"431 Request Header Fields Too Large", "headers_too_large",
                         f"request line and headers are larger than {limit} bytes")  # fmt: skip
        elif not self.transport.is_closing():
            self.data_received(data[room:])  # the body, or a pipelined request

    def on_headers_complete(self) -> None:
        """The headers are in: stop counting and stop the clock."""
        self._reading_headers = False
        self._disarm_header_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The next bytes on this connection start a new request's headers."""
        super().on_message_complete()
        self._reading_headers = True
        self._header_bytes = 0

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if not self._reading_headers or self.transport.is_closing():
            return
        if self._header_bytes == 0:  # an idle connection: nothing to answer
            metrics.REQUESTS_FAILED.labels("header_timeout").inc()
            self.transport.close()
            return
        self._refuse(b"408 Request Timeout", "header_timeout",
                     f"request headers did not arrive within {self.header_timeout:g} seconds")  # fmt: skip

    def _refuse(self, status: bytes, code: str, message: str) -> None:
        """Answer and half-close; keep reading (and dropping) for a moment before closing.

        Closing at once with unread bytes in the socket makes the kernel reset the connection,
        and a client still sending its headers would never see the answer (nginx lingers too).
        """
        metrics.REQUESTS_FAILED.labels(code).inc()
        self._disarm_header_timer()
        self._refused = True
        self.transport.write(_error(status, code, message))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self._close)

    def _close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

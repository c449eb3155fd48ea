"""Pooled async HTTP for vendor requests: one keep-alive client per delivery cycle, a request
rate limiter, and error texts that never carry a URL's query string (where API secrets live)."""

from __future__ import annotations

import asyncio
import time

import httpx

from eventyard.destinations.base import HttpRequest, HttpResponse


def make_client(concurrency: int) -> httpx.AsyncClient:
    """An HTTP/1.1 keep-alive client sized for ``concurrency`` requests in flight."""
    limits = httpx.Limits(
        max_connections=max(2, concurrency * 2),
        max_keepalive_connections=max(2, concurrency * 2),
        keepalive_expiry=30.0,
    )
    # Redirects are not followed: a vendor that redirects a POST has moved, which is a config error.
    return httpx.AsyncClient(limits=limits, follow_redirects=False, trust_env=False)


async def send_http(client: httpx.AsyncClient, request: HttpRequest, timeout: float) -> HttpResponse:
    """Send one request; transport errors and timeouts propagate as ``httpx.TransportError``."""
    response = await client.request(
        request.method,
        request.url,
        headers=dict(request.headers),
        content=request.body,
        timeout=timeout,
    )
    return HttpResponse(
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
    )


def describe_transport_error(exc: BaseException) -> str:
    """A short description of a network error without the request URL (its query may hold secrets)."""
    kind = type(exc).__name__
    text = str(exc).split("?", 1)[0].strip()
    return f"network error ({kind}){': ' + text if text else ''}"


class RateLimiter:
    """At most ``rate`` request starts per second (a token bucket with a burst of one second)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._tokens = float(rate or 0)
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request may start."""
        if not self.rate:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.rate, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

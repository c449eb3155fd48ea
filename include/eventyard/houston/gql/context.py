"""The typed per-request context: the caller is authenticated once, when the request arrives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from strawberry.fastapi import BaseContext

from eventyard.db.engine import session_scope
from eventyard.houston.services.auth import Authentication, Denial, authenticate
from eventyard.houston.services.unit import Actor
from eventyard.settings import Settings


class HoustonContext(BaseContext):
    """Settings, the control DB, and who is calling (with the reason if they are not allowed)."""

    def __init__(
        self, settings: Settings, engine: Engine, auth: Authentication, client_address: str | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.engine = engine
        # The peer, or the client named by X-Forwarded-For when uvicorn trusts the proxy
        # (--forwarded-allow-ips): login throttling counts attempts per address.
        self.client_address = client_address
        self.actor: Actor | None = auth.actor
        self.auth_denial: Denial | None = auth.auth_denial
        self.org_denial: Denial | None = auth.org_denial


def make_context_getter(settings: Settings, engine: Engine) -> Callable[[Request], Awaitable[HoustonContext]]:
    """A FastAPI dependency building the context from the request headers."""

    def _authenticate(authorization: str | None, organization: str | None) -> Authentication:
        with session_scope(engine) as session:
            return authenticate(session, settings, authorization, organization)

    async def get_context(request: Request) -> HoustonContext:
        auth = await run_in_threadpool(
            _authenticate, request.headers.get("authorization"), request.headers.get("organization")
        )
        return HoustonContext(settings, engine, auth, request.client.host if request.client else None)

    return get_context

"""The live debugger: a source's most recent events (accepted and rejected, with reasons).

``GET /debugger/{sourceId}`` is a small page that polls ``events.json`` every 500 ms;
``GET /debugger/{sourceId}/events.json`` is the data. Both are for members of the source's
organization only, authenticated by a Houston credential (JWT or API key) in
``authorization: Bearer <token>``, or ``?token=`` (so the page can be opened from a link).
"""

from __future__ import annotations

import asyncio
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from eventyard.collector.debugger import valid_source_id
from eventyard.collector.runtime import CollectorRuntime
from eventyard.db.engine import session_scope
from eventyard.db.models import Source


class DebuggerDenied(Exception):
    """The caller may not see this source's events."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _authorize(runtime: CollectorRuntime, source_id: str, authorization: str | None) -> None:
    """(thread) Houston's authentication, then membership in the source's organization."""
    from eventyard.houston.services.auth import authenticate

    if not authorization:
        raise DebuggerDenied(401, "unauthenticated", "a Houston token is required")
    with session_scope(runtime.engine) as session:
        source = session.get(Source, source_id)
        if source is None or source.deleted_at is not None:
            raise DebuggerDenied(404, "not_found", "no such source")
        outcome = authenticate(session, runtime.settings, authorization, source.org_id)
        if outcome.auth_denial is not None:
            raise DebuggerDenied(401, "unauthenticated", outcome.auth_denial.message)
        if outcome.org_denial is not None or outcome.actor is None:
            raise DebuggerDenied(403, "forbidden", "you are not a member of this source's organization")


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        return header
    token = request.query_params.get("token")
    return f"Bearer {token}" if token else None


async def _check(request: Request) -> tuple[CollectorRuntime, str] | Response:
    runtime: CollectorRuntime = request.app.state.runtime
    source_id = request.path_params["source_id"]
    if not valid_source_id(source_id):
        return JSONResponse({"success": False, "code": "not_found", "message": "no such source"}, 404)
    try:
        await asyncio.to_thread(_authorize, runtime, source_id, _credential(request))
    except DebuggerDenied as exc:
        return JSONResponse({"success": False, "code": exc.code, "message": str(exc)}, exc.status)
    return runtime, source_id


async def debugger_events(request: Request) -> Response:
    """The newest events of the source across workers, newest first."""
    checked = await _check(request)
    if isinstance(checked, Response):
        return checked
    runtime, source_id = checked
    events = runtime.debugger.recent(source_id)
    return JSONResponse({"sourceId": source_id, "events": events}, headers={"cache-control": "no-store"})


async def debugger_page(request: Request) -> Response:
    """The HTML page (it reads the token from its own URL and polls the JSON with it)."""
    checked = await _check(request)
    if isinstance(checked, Response):
        return checked
    page = resources.files("eventyard.collector").joinpath("debugger.html").read_bytes()
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


ROUTES = [
    Route("/debugger/{source_id}", debugger_page, methods=["GET"]),
    Route("/debugger/{source_id}/events.json", debugger_events, methods=["GET"]),
]

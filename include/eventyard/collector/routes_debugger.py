"""The live debugger: a source's most recent events (accepted and rejected, with reasons).

``GET /debugger/{sourceId}`` is a small page that polls ``events.json`` every 500 ms;
``GET /debugger/{sourceId}/events.json`` is the data, for members of the source's organization
only, authenticated by a Houston credential (JWT or API key) in ``authorization: Bearer
<token>``, or ``?token=``. Opened without a credential (a link from the Airflow UI), the page
holds no data and asks for a Houston login instead: ``POST /debugger/{sourceId}/login`` checks
the email and password exactly like Houston's ``createToken`` (same throttling), then the
membership, and answers with a token the page keeps for the browser tab.
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
from eventyard.errors import BadInputError


class DebuggerDenied(BadInputError):
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
    """The HTML page: with a credential it is checked first; without one the page asks for a login."""
    if _credential(request) is not None:
        checked = await _check(request)
        if isinstance(checked, Response):
            return checked
    elif not valid_source_id(request.path_params["source_id"]):
        return JSONResponse({"success": False, "code": "not_found", "message": "no such source"}, 404)
    page = resources.files("eventyard.collector").joinpath("debugger.html").read_bytes()
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


def _login(runtime: CollectorRuntime, source_id: str, username: str, password: str) -> str:
    """(thread) Houston's login, then the source membership check; the token on success."""
    from eventyard.houston.codes import HoustonError
    from eventyard.houston.services import accounts
    from eventyard.houston.services.unit import run_unit

    try:
        session = run_unit(runtime.engine, runtime.settings, None, accounts.login, username, password)
    except HoustonError as exc:
        raise DebuggerDenied(401, "unauthenticated", exc.message) from None
    _authorize(runtime, source_id, f"Bearer {session.token}")
    return session.token


async def debugger_login(request: Request) -> Response:
    """Exchange a Houston email and password for a token that may watch this source."""
    runtime: CollectorRuntime = request.app.state.runtime
    source_id = request.path_params["source_id"]
    try:
        body = await request.json()
        username, password = str(body["username"]), str(body["password"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse(
            {"success": False, "code": "bad_request", "message": "username and password"}, 400
        )
    if not valid_source_id(source_id):
        return JSONResponse({"success": False, "code": "not_found", "message": "no such source"}, 404)
    try:
        token = await asyncio.to_thread(_login, runtime, source_id, username, password)
    except DebuggerDenied as exc:
        return JSONResponse({"success": False, "code": exc.code, "message": str(exc)}, exc.status)
    return JSONResponse({"success": True, "token": token}, headers={"cache-control": "no-store"})


ROUTES = [
    Route("/debugger/{source_id}", debugger_page, methods=["GET"]),
    Route("/debugger/{source_id}/events.json", debugger_events, methods=["GET"]),
    Route("/debugger/{source_id}/login", debugger_login, methods=["POST"]),
]

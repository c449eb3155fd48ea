"""The pages behind emailed links: confirm an email, accept an invitation, reset a password.

Kept deliberately plain (no JavaScript): a person following a link from the outbox or from
a real mail sees a message or a one-field form; the same actions exist as GraphQL mutations.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from eventyard.houston.codes import HoustonError
from eventyard.houston.services import accounts
from eventyard.houston.services.unit import run_unit
from eventyard.settings import Settings

MAX_FORM_BYTES = 8 * 1024


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
        # The URL carries a one-time token: keep it out of caches, Referer headers and frames.
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"},
    )


def _password_form(token: str, action: str) -> HTMLResponse:
    return _page(
        "Set your password",
        f"<form method='post' action='{html.escape(action)}'>"
        f"<input type='hidden' name='token' value='{html.escape(token)}'>"
        "<label>Password <input type='password' name='password' minlength='8' required></label>"
        "<button type='submit'>Save</button></form>",
    )


def links_router(settings: Settings, engine: Engine) -> APIRouter:
    """Routes for the links Houston mails out."""
    router = APIRouter(prefix="/account", include_in_schema=False)

    async def run(fn: Callable[..., object], *args: str) -> str | None:
        try:
            await run_in_threadpool(run_unit, engine, settings, None, fn, *args)
        except HoustonError as exc:
            return exc.message
        return None

    @router.get("/confirm")
    async def confirm(token: str = "") -> HTMLResponse:
        problem = await run(accounts.confirm_email, token)
        if problem:
            return _page("Link not valid", f"<p>{html.escape(problem)}</p>", 400)
        return _page("Email confirmed", "<p>You can log in now (createToken).</p>")

    async def set_password(request: Request, fn: Callable[..., object]) -> HTMLResponse:
        if request.method == "GET":
            return _password_form(request.query_params.get("token", ""), request.url.path)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return _page("Not saved", "<p>form too large</p>", 413)
        form = parse_qs(body.decode(errors="replace"))
        token, password = form.get("token", [""])[0], form.get("password", [""])[0]
        problem = await run(fn, token, password)
        if problem:
            return _page("Not saved", f"<p>{html.escape(problem)}</p>", 400)
        return _page("Password set", "<p>You can log in now (createToken).</p>")

    @router.api_route("/invitation", methods=["GET", "POST"])
    async def invitation(request: Request) -> HTMLResponse:
        return await set_password(request, accounts.accept_invitation)

    @router.api_route("/reset-password", methods=["GET", "POST"])
    async def reset(request: Request) -> HTMLResponse:
        return await set_password(request, accounts.reset_password)

    return router

"""How resolvers reach the service layer: in a worker thread, inside one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from eventyard.houston.codes import HoustonError
from eventyard.houston.gql.context import HoustonContext
from eventyard.houston.gql.permissions import CodedGraphQLError
from eventyard.houston.gql.status import StatusMessage
from eventyard.houston.services.unit import run_unit

T = TypeVar("T")


async def call(info: Info, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service function off the event loop (Argon2 and SQL block) in one transaction."""
    context: HoustonContext = info.context
    return await run_in_threadpool(
        run_unit, context.engine, context.settings, context.actor, fn, *args, **kwargs
    )


async def query(info: Info, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A query: expected failures become errors carrying their code."""
    try:
        return await call(info, fn, *args, **kwargs)
    except HoustonError as exc:
        raise CodedGraphQLError.from_error(exc) from None


async def mutate(
    info: Info, done: str, fn: Callable[..., str | None], *args: Any, **kwargs: Any
) -> StatusMessage:
    """A mutation whose service returns the affected id: answered as a status message."""
    try:
        affected = await call(info, fn, *args, **kwargs)
    except HoustonError as exc:
        return StatusMessage.from_error(exc)
    return StatusMessage.ok(done, affected)

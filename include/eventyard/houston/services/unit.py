"""The unit of work every service function runs in: one transaction, one actor, one outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from eventyard.db.engine import session_factory
from eventyard.db.models import Role
from eventyard.houston import validation
from eventyard.houston.codes import Code, HoustonError, not_found
from eventyard.mail import Mail, send_mail
from eventyard.settings import Settings

T = TypeVar("T")


class OrgOwned(Protocol):
    """A row that belongs to one organization."""

    @property
    def org_id(self) -> str: ...


R = TypeVar("R", bound=OrgOwned)


@dataclass(frozen=True)
class Actor:
    """Who is calling: a user (JWT) or an API key, and their role in the header organization."""

    user_id: str | None
    org_id: str | None = None
    role: Role | None = None
    api_key_id: str | None = None


@dataclass
class Unit:
    """A transaction plus the caller; mails queued here are sent only after commit."""

    session: Session
    settings: Settings
    actor: Actor | None
    outbox: list[Mail] = field(default_factory=list)

    def user_id(self) -> str:
        """The calling user's id; API keys are refused for account operations."""
        if self.actor is None:
            raise HoustonError(Code.UNAUTHENTICATED, "authorization: a valid token is required")
        if self.actor.user_id is None:
            raise HoustonError(
                Code.USER_SESSION_REQUIRED, "authorization: this needs a user's token, not an API key"
            )
        return self.actor.user_id

    def member_org(self, org_id_arg: str | None = None) -> str:
        """The header organization (membership was checked once, in the request context).

        An ``orgId`` argument must name that same organization: a member of A cannot act on B
        by passing B's id.
        """
        if self.actor is None:
            raise HoustonError(Code.UNAUTHENTICATED, "authorization: a valid token is required")
        if self.actor.org_id is None or self.actor.role is None:
            raise HoustonError(
                Code.ORGANIZATION_REQUIRED, "organization: header is required for this operation"
            )
        if org_id_arg is not None and org_id_arg != self.actor.org_id:
            raise HoustonError(Code.NOT_A_MEMBER, "orgId: must be the organization named in the header")
        return self.actor.org_id

    def owner_org(self, org_id_arg: str | None = None) -> str:
        """Like :meth:`member_org`, and the caller must be an Owner there."""
        org_id = self.member_org(org_id_arg)
        assert self.actor is not None
        if self.actor.role is not Role.OWNER:
            raise HoustonError(Code.NOT_AN_OWNER, "only an Owner of the organization may do this")
        return org_id

    def owned(self, model: type[R], org_id: str, field: str, row_id: str, what: str) -> R:
        """The ``model`` row ``row_id`` (validated as argument ``field``) of organization
        ``org_id``, else NOT_FOUND ``what``: another organization's ids are answered exactly as
        unknown ones, so they cannot be probed."""
        row = self.session.get(model, validation.identifier(field, row_id))
        if row is None or row.org_id != org_id:
            raise not_found(what)
        return row

    def insert(self, row: T) -> T:
        """Add a new row and flush it, so that its generated id and defaults exist; returns it."""
        self.session.add(row)
        self.session.flush()
        return row

    @property
    def is_owner(self) -> bool:
        """Whether the caller is an Owner of the header organization."""
        return self.actor is not None and self.actor.role is Role.OWNER


def run_unit(
    engine: Engine,
    settings: Settings,
    actor: Actor | None,
    fn: Callable[..., T],
    *args: object,
    **kwargs: object,
) -> T:
    """Run ``fn(unit, *args, **kwargs)`` in one transaction, then send the queued mail.

    A :class:`HoustonError` rolls the transaction back: the mutation changes nothing. (Login
    attempts are counted in a transaction of their own, see ``throttle.count_attempt``.)
    """
    unit = Unit(session_factory(engine)(), settings, actor)
    with unit.session, unit.session.begin():
        result = fn(unit, *args, **kwargs)
    for mail in unit.outbox:
        send_mail(settings, mail)
    return result

"""Permission classes and the guard that turns a refusal into a payload or a coded error.

Each class reads the context built once per request (see :mod:`.context`), so checking a
permission never touches the database again.
"""

from __future__ import annotations

import abc
import inspect
from typing import Any

from graphql import GraphQLError
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from eventyard.db.models import Role
from eventyard.errors import BadInputError
from eventyard.houston.codes import Code, HoustonError
from eventyard.houston.gql.context import HoustonContext
from eventyard.houston.gql.status import StatusMessage
from eventyard.houston.services.auth import Denial


class CodedGraphQLError(GraphQLError, BadInputError):
    """A query refusal with the stable code in ``extensions.code`` (never masked)."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message, extensions={"code": code.value})

    @classmethod
    def from_error(cls, error: HoustonError) -> CodedGraphQLError:
        """The error for an expected failure in a query."""
        return cls(error.code, error.message)


class HoustonPermission(BasePermission):
    """A permission whose refusal has a code; subclasses implement :meth:`denial`."""

    @abc.abstractmethod
    def denial(self, context: HoustonContext) -> Denial | None:
        """Why the caller may not use the field, or ``None``."""

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        """True when :meth:`denial` finds nothing."""
        return self.denial(info.context) is None


class IsAuthenticated(HoustonPermission):
    """A valid JWT or API key."""

    def denial(self, context: HoustonContext) -> Denial | None:
        if context.actor is None:
            return context.auth_denial or Denial(Code.UNAUTHENTICATED, "authorization: header is missing")
        return None


class IsUserSession(IsAuthenticated):
    """A user's JWT (account operations have no meaning for an API key)."""

    def denial(self, context: HoustonContext) -> Denial | None:
        denial = super().denial(context)
        if denial is None and context.actor is not None and context.actor.user_id is None:
            return Denial(
                Code.USER_SESSION_REQUIRED, "authorization: this needs a user's token, not an API key"
            )
        return denial


class IsMember(IsAuthenticated):
    """Authenticated, with an ``organization`` header naming an organization the caller is in."""

    def denial(self, context: HoustonContext) -> Denial | None:
        denial = super().denial(context) or context.org_denial
        if denial is None and context.actor is not None and context.actor.org_id is None:
            return Denial(Code.ORGANIZATION_REQUIRED, "organization: header is required for this operation")
        return denial


class IsOwner(IsMember):
    """A member with the Owner role."""

    def denial(self, context: HoustonContext) -> Denial | None:
        denial = super().denial(context)
        if denial is None and context.actor is not None and context.actor.role is not Role.OWNER:
            return Denial(Code.NOT_AN_OWNER, "only an Owner of the organization may do this")
        return denial


class Guard(PermissionExtension):
    """Checks the permissions; a mutation gets a failure payload, a query a coded error."""

    def __init__(self, *permissions: HoustonPermission) -> None:
        super().__init__(list(permissions), use_directives=False)
        self.payload_type: type[StatusMessage] | None = None

    def apply(self, field: StrawberryField) -> None:
        """Remember whether the field answers with a status payload."""
        super().apply(field)
        field_type = field.type
        if inspect.isclass(field_type) and issubclass(field_type, StatusMessage):
            self.payload_type = field_type

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Refuse with the first failing permission's code, else run the resolver."""
        for permission in self.permissions:
            assert isinstance(permission, HoustonPermission)
            if not await permission.has_permission(source, info, **kwargs):
                denial = permission.denial(info.context)
                assert denial is not None
                if self.payload_type is not None:
                    return self.payload_type.failure(denial.code, denial.message)
                raise CodedGraphQLError(denial.code, denial.message)
        return await next_(source, info, **kwargs)

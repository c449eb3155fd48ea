"""Mutation payloads: ``statusMessage { success message id code }`` and its extended forms."""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry

from eventyard.houston.codes import Code, HoustonError

P = TypeVar("P", bound="StatusMessage")

StatusCode = strawberry.enum(Code, name="StatusCode", description="Stable outcome code of a mutation.")


@strawberry.type(description="Outcome of a mutation; `id` is the created or changed object's id.")
class StatusMessage:
    success: bool
    message: str
    code: Code
    id: strawberry.ID | None = None

    @classmethod
    def ok(cls: type[P], message: str, id: str | None = None, **extra: Any) -> P:
        """A success payload; ``extra`` fills the fields of an extended payload (token, key...)."""
        return cls(success=True, message=message, code=Code.OK, id=strawberry.ID(id) if id else None, **extra)

    @classmethod
    def failure(cls: type[P], code: Code, message: str) -> P:
        """A failure payload (expected errors are answered here, never as GraphQL errors)."""
        return cls(success=False, message=message, code=code)

    @classmethod
    def from_error(cls: type[P], error: HoustonError) -> P:
        """The payload for an expected error raised by the service layer."""
        return cls.failure(error.code, error.message)


@strawberry.type(description="The verified claims of the returned token.")
class Decoded:
    id: strawberry.ID
    iat: int
    exp: int


@strawberry.type(description="A status message that may carry a JWT (login, sign-up, password changes).")
class TokenPayload(StatusMessage):
    token: str | None = None
    decoded: Decoded | None = None


@strawberry.type(description="A status message carrying a new API key's plaintext, shown only this once.")
class ApiKeyPayload(StatusMessage):
    key: str | None = None


PAYLOAD_TYPES = (StatusMessage, TokenPayload, ApiKeyPayload)

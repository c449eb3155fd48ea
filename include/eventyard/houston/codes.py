"""Stable status codes of every Houston mutation payload, and the error that carries one.

Expected failures (bad input, unknown ids, missing permissions) are raised as
:class:`HoustonError` inside the service layer and answered *in the payload*
(``success: false`` plus a code); anything else is an unexpected error and is masked.
"""

from __future__ import annotations

import enum

from eventyard.errors import BadInputError


class Code(enum.Enum):
    """What happened; clients branch on this, never on the human-readable message."""

    OK = "OK"
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    EMAIL_NOT_CONFIRMED = "EMAIL_NOT_CONFIRMED"
    INVALID_LINK = "INVALID_LINK"
    THROTTLED = "THROTTLED"
    ORGANIZATION_REQUIRED = "ORGANIZATION_REQUIRED"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    NOT_AN_OWNER = "NOT_AN_OWNER"
    USER_SESSION_REQUIRED = "USER_SESSION_REQUIRED"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    LAST_OWNER = "LAST_OWNER"
    IN_USE = "IN_USE"
    PLATFORM_NOT_SUPPORTED = "PLATFORM_NOT_SUPPORTED"
    DESTINATION_RETIRED = "DESTINATION_RETIRED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class HoustonError(BadInputError):
    """An expected failure with a stable code and a message that names the offending field."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(field: str, problem: str) -> HoustonError:
    """An INVALID_INPUT error whose message starts with the GraphQL argument name."""
    return HoustonError(Code.INVALID_INPUT, f"{field}: {problem}")


def not_found(what: str) -> HoustonError:
    """A NOT_FOUND error; deliberately the same for "does not exist" and "belongs to another org"."""
    return HoustonError(Code.NOT_FOUND, f"{what} not found in this organization")

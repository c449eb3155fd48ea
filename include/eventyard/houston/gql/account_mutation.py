"""Account mutations: sign-up, confirmation, login, invitations, password reset, profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types import Info

from eventyard.houston.codes import HoustonError
from eventyard.houston.gql.permissions import Guard, IsUserSession
from eventyard.houston.gql.resolve import call, mutate
from eventyard.houston.gql.status import Decoded, StatusMessage, TokenPayload
from eventyard.houston.gql.user import ProfileInput
from eventyard.houston.services import accounts


async def _token(info: Info, done: str, fn: Callable[..., accounts.LoginSession], *args: Any) -> TokenPayload:
    try:
        session = await call(info, fn, *args)
    except HoustonError as exc:
        return TokenPayload.from_error(exc)
    claims = session.claims
    return TokenPayload.ok(
        done,
        session.user_id,
        token=session.token,
        decoded=Decoded(id=strawberry.ID(claims.user_id), iat=claims.issued_at, exp=claims.expires_at),
    )


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Log in: a JWT valid for 24 hours.")
    async def create_token(self, info: Info, username: str, password: str) -> TokenPayload:
        return await _token(
            info, "token created", accounts.login, username, password, info.context.client_address
        )

    @strawberry.mutation(description="Self sign-up; the token stays null until the emailed link is followed.")
    async def create_new_user(
        self, info: Info, email: str, password: str, profile: ProfileInput | None = None
    ) -> TokenPayload:
        try:
            await call(info, accounts.create_user, email, password, profile.to_profile() if profile else None)
        except HoustonError as exc:
            return TokenPayload.from_error(exc)
        return TokenPayload.ok("check your inbox: follow the link to confirm your email")

    @strawberry.mutation(description="Confirm an email address with the token from the emailed link.")
    async def confirm_email(self, info: Info, token: str) -> StatusMessage:
        return await mutate(info, "email confirmed; you can log in now", accounts.confirm_email, token)

    @strawberry.mutation(description="Accept an invitation: set a password, and receive a token.")
    async def accept_invitation(self, info: Info, token: str, password: str) -> TokenPayload:
        return await _token(info, "invitation accepted", accounts.accept_invitation, token, password)

    @strawberry.mutation(description="Mail a password-reset link (never reveals if the email exists).")
    async def request_password_reset(self, info: Info, email: str) -> StatusMessage:
        try:
            await call(info, accounts.request_password_reset, email)
        except HoustonError as exc:
            return StatusMessage.from_error(exc)
        return StatusMessage.ok("if an account exists for this email, a reset link was sent")

    @strawberry.mutation(description="Set a new password with the token from the reset link.")
    async def reset_password(self, info: Info, token: str, password: str) -> TokenPayload:
        return await _token(info, "password changed", accounts.reset_password, token, password)

    @strawberry.mutation(extensions=[Guard(IsUserSession())], description="Edit your own profile.")
    async def update_user(self, info: Info, profile: ProfileInput) -> StatusMessage:
        return await mutate(info, "profile updated", accounts.update_user, profile.to_profile())

    @strawberry.mutation(
        extensions=[Guard(IsUserSession())], description="Change your password; older tokens stop working."
    )
    async def change_password(self, info: Info, current_password: str, new_password: str) -> TokenPayload:
        return await _token(
            info, "password changed", accounts.change_password, current_password, new_password
        )

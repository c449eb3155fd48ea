"""Accounts: sign-up, email confirmation, login, invitations, password reset, profile edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from eventyard.db.models import EmailToken, TokenPurpose, User, utcnow
from eventyard.houston import security, validation
from eventyard.houston.codes import Code, HoustonError
from eventyard.houston.services import throttle
from eventyard.houston.services.unit import Unit
from eventyard.mail import Mail

LINK_LIFETIME = {
    TokenPurpose.CONFIRM_EMAIL: timedelta(days=3),
    TokenPurpose.INVITE: timedelta(days=7),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
}
LINK_PATHS = {
    TokenPurpose.CONFIRM_EMAIL: "/account/confirm",
    TokenPurpose.INVITE: "/account/invitation",
    TokenPurpose.RESET_PASSWORD: "/account/reset-password",
}
BAD_LOGIN = "invalid email or password"


@dataclass(frozen=True)
class Profile:
    """Optional profile fields of ``createNewUser`` and ``updateUser``."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class LoginSession:
    """A JWT and the id it was issued to."""

    token: str
    user_id: str
    claims: security.Claims


def _issue(unit: Unit, user: User) -> LoginSession:
    token = security.issue_token(unit.settings, user.id, user.token_version)
    return LoginSession(token=token, user_id=user.id, claims=security.decode_token(unit.settings, token))


def _apply_profile(user: User, profile: Profile | None) -> None:
    if profile is None:
        return
    limit = validation.MAX_PROFILE_FIELD
    user.first_name = validation.optional_text("profile.firstName", profile.first_name, limit=limit)
    user.last_name = validation.optional_text("profile.lastName", profile.last_name, limit=limit)
    user.company = validation.optional_text("profile.company", profile.company, limit=validation.MAX_NAME)


def queue_link(unit: Unit, user: User, purpose: TokenPurpose, subject: str, intro: str) -> None:
    """Store a one-time link token for the user and queue the mail that carries it."""
    token, token_hash = security.new_link_token()
    unit.session.add(
        EmailToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash,
            expires_at=utcnow() + LINK_LIFETIME[purpose],
        )
    )
    link = f"{unit.settings.public_url.rstrip('/')}{LINK_PATHS[purpose]}?token={token}"
    body = f"{intro}\n\n{link}\n\nThis link works once. If you did not expect this mail, ignore it.\n"
    unit.outbox.append(Mail(to=user.email, subject=subject, body=body, link=link, kind=purpose.value.lower()))


def user_by_email(unit: Unit, email: str) -> User | None:
    """The user with this (normalized) email, if any."""
    return unit.session.scalars(select(User).where(User.email == email)).one_or_none()


def create_user(unit: Unit, email: str, password: str, profile: Profile | None) -> None:
    """Self sign-up. Always answers the same way, so sign-up cannot probe for accounts.

    A new account gets a confirmation link, an unconfirmed one gets its link again (its
    password unchanged), a confirmed one gets a notice instead.
    """
    email = validation.email("email", email)
    password = validation.password("password", password)
    existing = user_by_email(unit, email)
    if existing is not None and existing.confirmed_at is None:
        # Unconfirmed: send the link again, but never take the new password (that would let
        # whoever signs up first choose the password of someone else's mailbox).
        if existing.password_hash is None:
            queue_link(
                unit,
                existing,
                TokenPurpose.INVITE,
                "Finish setting up your Eventyard account",
                "Set your password:",
            )
        else:
            queue_link(
                unit,
                existing,
                TokenPurpose.CONFIRM_EMAIL,
                "Confirm your Eventyard account",
                "Confirm your email:",
            )
        return
    if existing is not None:
        unit.outbox.append(
            Mail(
                to=email,
                subject="Someone tried to sign up with your email",
                body="An account with this email already exists. Log in, or request a password reset.\n",
                kind="signup-existing",
            )
        )
        return
    user = User(email=email, password_hash=security.hash_password(password))
    _apply_profile(user, profile)
    unit.insert(user)
    queue_link(
        unit, user, TokenPurpose.CONFIRM_EMAIL, "Confirm your Eventyard account", "Confirm your email:"
    )


def _consume_link(unit: Unit, token: str, purpose: TokenPurpose) -> User:
    row = unit.session.scalars(
        select(EmailToken).where(
            EmailToken.token_hash == security.sha256_hex(token), EmailToken.purpose == purpose
        )
    ).one_or_none()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise HoustonError(Code.INVALID_LINK, "token: the link is invalid, expired or already used")
    row.used_at = utcnow()
    user = unit.session.get(User, row.user_id)
    assert user is not None  # FK cascade removes tokens with their user
    return user


def confirm_email(unit: Unit, token: str) -> str:
    """Confirm the account behind an emailed link; returns the user id."""
    user = _consume_link(unit, token, TokenPurpose.CONFIRM_EMAIL)
    user.confirmed_at = user.confirmed_at or utcnow()
    return user.id


def _set_password(unit: Unit, token: str, password: str, purpose: TokenPurpose) -> LoginSession:
    password = validation.password("password", password)
    user = _consume_link(unit, token, purpose)
    user.password_hash = security.hash_password(password)
    # Following an emailed link proves the address, and old sessions must not survive a reset.
    user.confirmed_at = user.confirmed_at or utcnow()
    user.token_version += 1
    throttle.clear(unit.session, user.email)
    return _issue(unit, user)


def accept_invitation(unit: Unit, token: str, password: str) -> LoginSession:
    """An auto-signed-up user sets a password from the invitation link and is logged in."""
    return _set_password(unit, token, password, TokenPurpose.INVITE)


def reset_password(unit: Unit, token: str, password: str) -> LoginSession:
    """Set a new password from a reset link; every older token stops working."""
    return _set_password(unit, token, password, TokenPurpose.RESET_PASSWORD)


def request_password_reset(unit: Unit, email: str) -> None:
    """Mail a reset link if the account exists; the answer is the same either way."""
    email = validation.email("email", email)
    user = user_by_email(unit, email)
    if user is not None:
        queue_link(
            unit, user, TokenPurpose.RESET_PASSWORD, "Reset your Eventyard password", "Set a new password:"
        )


def login(unit: Unit, username: str, password: str, client_address: str | None = None) -> LoginSession:
    """``createToken``: the same answer for an unknown email and a wrong password.

    The attempt is counted (per name and client address) before the password is checked, so
    parallel guesses cannot get past the limit; see :mod:`.throttle`.
    """
    if len(username) > validation.MAX_EMAIL or len(password) > validation.MAX_PASSWORD:
        raise HoustonError(Code.INVALID_CREDENTIALS, BAD_LOGIN)
    try:
        email = validation.email("username", username)  # the same normalization as at sign-up
    except HoustonError:
        email = username.strip().lower()  # still throttled and dummy-verified like any name
    throttle.count_attempt(unit.session.get_bind().engine, unit.settings, email, client_address)
    user = user_by_email(unit, email)
    if not security.verify_password(user.password_hash if user else None, password) or user is None:
        raise HoustonError(Code.INVALID_CREDENTIALS, BAD_LOGIN)
    if user.confirmed_at is None:
        raise HoustonError(
            Code.EMAIL_NOT_CONFIRMED, "confirm your email with the link we sent before logging in"
        )
    throttle.record_success(unit.session, email, client_address)
    return _issue(unit, user)


def current_user(unit: Unit) -> User:
    """The calling user (``me``)."""
    user = unit.session.get(User, unit.user_id())
    assert user is not None  # the request context loaded it moments ago
    return user


def update_user(unit: Unit, profile: Profile) -> str:
    """Edit the caller's own profile."""
    user = current_user(unit)
    _apply_profile(user, profile)
    return user.id


def change_password(unit: Unit, current_password: str, new_password: str) -> LoginSession:
    """Change the caller's password; older JWTs die (token_version bump), a new one is issued."""
    user = current_user(unit)
    if not security.verify_password(user.password_hash, current_password):
        raise HoustonError(Code.INVALID_CREDENTIALS, "currentPassword: does not match")
    user.password_hash = security.hash_password(validation.password("newPassword", new_password))
    user.token_version += 1
    return _issue(unit, user)

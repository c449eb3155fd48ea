"""Who is calling: resolves the ``authorization`` and ``organization`` headers once per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventyard.db.models import ApiKey, Membership, Organization, User, utcnow
from eventyard.houston import security
from eventyard.houston.codes import Code
from eventyard.houston.services.unit import Actor
from eventyard.settings import Settings

# Writing last_used_at on every request would turn reads into writes; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Denial:
    """Why a request is not authenticated, or not allowed in the header organization."""

    code: Code
    message: str


@dataclass(frozen=True)
class Authentication:
    """The outcome: an actor (possibly without an organization) and/or the reason it lacks one."""

    actor: Actor | None
    auth_denial: Denial | None = None
    org_denial: Denial | None = None


def _credential(authorization: str | None) -> str | None:
    if not authorization:
        return None
    value = authorization.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def authenticate(
    session: Session, settings: Settings, authorization: str | None, organization: str | None
) -> Authentication:
    """Verify the credential (JWT or API key) and the caller's membership in the header org."""
    credential = _credential(authorization)
    org_header = (organization or "").strip() or None
    if credential is None:
        return Authentication(None, Denial(Code.UNAUTHENTICATED, "authorization: header is missing"))
    if security.is_api_key(credential):
        return _by_api_key(session, credential, org_header)
    try:
        claims = security.decode_token(settings, credential)
    except security.TokenExpired:
        return Authentication(
            None, Denial(Code.TOKEN_EXPIRED, "authorization: token expired; create a new one")
        )
    except security.TokenInvalid:
        return Authentication(None, Denial(Code.UNAUTHENTICATED, "authorization: token is not valid"))
    user = session.get(User, claims.user_id)
    if user is None or user.confirmed_at is None:
        return Authentication(None, Denial(Code.UNAUTHENTICATED, "authorization: token is not valid"))
    if user.token_version != claims.token_version:
        return Authentication(
            None,
            Denial(Code.TOKEN_REVOKED, "authorization: token was revoked (password changed); log in again"),
        )
    if org_header is None:
        return Authentication(Actor(user_id=user.id))
    membership = session.scalars(
        select(Membership).where(Membership.org_id == org_header[:64], Membership.user_id == user.id)
    ).one_or_none()
    if membership is None:
        return Authentication(
            Actor(user_id=user.id),
            org_denial=Denial(Code.NOT_A_MEMBER, "organization: you are not a member of this organization"),
        )
    return Authentication(Actor(user_id=user.id, org_id=membership.org_id, role=membership.role))


def _by_api_key(session: Session, credential: str, org_header: str | None) -> Authentication:
    key = session.scalars(
        select(ApiKey).where(ApiKey.key_hash == security.sha256_hex(credential))
    ).one_or_none()
    if key is None or key.revoked_at is not None or session.get(Organization, key.org_id) is None:
        return Authentication(
            None, Denial(Code.UNAUTHENTICATED, "authorization: API key is not valid or revoked")
        )
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
    if org_header is not None and org_header != key.org_id:
        return Authentication(
            Actor(user_id=None, api_key_id=key.id),
            org_denial=Denial(
                Code.NOT_A_MEMBER, "organization: this API key belongs to another organization"
            ),
        )
    return Authentication(Actor(user_id=None, org_id=key.org_id, role=key.role, api_key_id=key.id))

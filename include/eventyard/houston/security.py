"""Passwords (Argon2), JWTs (HS256, expiring, versioned), API keys and one-time link tokens.

Secrets that are looked up (API keys, emailed link tokens) are high-entropy random strings,
so storing their SHA-256 is enough; passwords are low-entropy and get Argon2.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eventyard.crypto import JWT_KEY_PURPOSE, derive_key
from eventyard.errors import BadInputError
from eventyard.settings import Settings

# argon2-cffi's defaults are RFC 9106's low-memory profile; tests swap in a cheaper hasher.
PASSWORD_HASHER = PasswordHasher()
API_KEY_PREFIX = "eyk_"
JWT_ALGORITHM = "HS256"
CLOCK_LEEWAY = 60  # seconds a token's iat may lie in the future (clock skew between Houston processes)


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return PASSWORD_HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; a user without a password (invited) never matches.

    For unknown users and password-less users a dummy hash is verified instead, so the time
    taken does not tell an attacker whether the account exists.
    """
    try:
        return PASSWORD_HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return PASSWORD_HASHER.hash(secrets.token_urlsafe(16))


def sha256_hex(value: str) -> str:
    """Hex SHA-256, used for API keys, link tokens and throttle keys."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Claims:
    """The verified content of a Houston JWT."""

    user_id: str
    token_version: int
    issued_at: int
    expires_at: int


class TokenExpired(BadInputError):
    """The JWT was valid but its ``exp`` has passed."""


class TokenInvalid(BadInputError):
    """The JWT is malformed, forged or missing claims."""


def _jwt_key(settings: Settings) -> bytes:
    return derive_key(settings.resolved_secret_key(), JWT_KEY_PURPOSE)


def issue_token(settings: Settings, user_id: str, token_version: int, now: datetime | None = None) -> str:
    """A JWT for the user, expiring ``settings.jwt_ttl_hours`` after ``now``."""
    now = now or datetime.now(UTC)
    payload = {
        "sub": user_id,
        "tv": token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=settings.jwt_ttl_hours)).timestamp()),
    }
    return jwt.encode(payload, _jwt_key(settings), algorithm=JWT_ALGORITHM)


def decode_token(settings: Settings, token: str) -> Claims:
    """Verify signature and expiry; raises :class:`TokenExpired` or :class:`TokenInvalid`."""
    try:
        data = jwt.decode(
            token,
            _jwt_key(settings),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "tv", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired(str(exc)) from exc
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc
    if not isinstance(data["sub"], str) or not isinstance(data["tv"], int):
        raise TokenInvalid("malformed claims")
    # A correctly signed token may still claim more life than Houston ever grants (a leaked key
    # used to mint long-lived tokens, a bug): nothing beyond the configured TTL is honoured.
    if data["exp"] - data["iat"] > settings.jwt_ttl_hours * 3600 or data["iat"] > time.time() + CLOCK_LEEWAY:
        raise TokenInvalid("lifetime exceeds the configured TTL")
    return Claims(
        user_id=data["sub"], token_version=data["tv"], issued_at=data["iat"], expires_at=data["exp"]
    )


@dataclass(frozen=True)
class NewApiKey:
    """A freshly generated API key: the plaintext is shown once, only the hash is stored."""

    plaintext: str
    prefix: str
    key_hash: str


def new_api_key() -> NewApiKey:
    """A random API key, its display prefix and its hash."""
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return NewApiKey(plaintext=plaintext, prefix=plaintext[:12], key_hash=sha256_hex(plaintext))


def is_api_key(credential: str) -> bool:
    """Whether an authorization value is an API key rather than a JWT."""
    return credential.startswith(API_KEY_PREFIX)


def new_link_token() -> tuple[str, str]:
    """A one-time token for an emailed link, and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, sha256_hex(token)

"""Encryption of connection details at rest, and key derivation from the one secret key.

It sits below every component that reads connection details (Houston writes them; the
collector, delivery and the warehouse loader read them), so none of them imports another for it.

Every key Houston needs is derived from ``settings.resolved_secret_key()`` with HKDF and a
purpose label, so the JWT signing key and the encryption key are independent even though
operators manage a single secret.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eventyard.settings import Settings

CONNECTION_KEY_PURPOSE = b"eventyard/connection-details/v1"
JWT_KEY_PURPOSE = b"eventyard/jwt/v1"


@lru_cache(maxsize=32)
def derive_key(secret: str, purpose: bytes, length: int = 32) -> bytes:
    """A key for one purpose, derived from the operator's secret with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(secret.encode())


@lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret, CONNECTION_KEY_PURPOSE)))


def encrypt_details(settings: Settings, details: dict[str, Any]) -> bytes:
    """Connection details as an authenticated ciphertext (Fernet: AES-128-CBC + HMAC-SHA256)."""
    return _fernet(settings.resolved_secret_key()).encrypt(orjson.dumps(details))


def decrypt_details(settings: Settings, ciphertext: bytes) -> dict[str, Any]:
    """The plaintext details; raises ``RuntimeError`` if the secret key changed since encryption."""
    try:
        plain = _fernet(settings.resolved_secret_key()).decrypt(ciphertext)
    except InvalidToken as exc:
        raise RuntimeError(
            "connection details cannot be decrypted: was EVENTYARD_SECRET_KEY changed?"
        ) from exc
    value = orjson.loads(plain)
    assert isinstance(value, dict)
    return value

"""Identifier generation."""

from __future__ import annotations

import secrets

# The URL-safe alphabet of nanoid: Source IDs double as write keys, so they must survive
# URLs, Basic-auth headers and S3 keys unescaped.
URL_SAFE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
ID_LENGTH = 21


def new_id(length: int = ID_LENGTH) -> str:
    """A random URL-safe identifier (21 characters by default, ~126 bits of entropy)."""
    return "".join(secrets.choice(URL_SAFE_ALPHABET) for _ in range(length))

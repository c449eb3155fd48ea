"""Where a request's write key comes from (segment-spec §1.2).

Resolution order: the HTTP Basic username (Segment, analytics-node ≥ 3.1, analytics-next
≥ 1.84, RudderStack), then the body's top-level ``writeKey`` (analytics-python, curl, older
analytics.js), then each batch item's own ``writeKey`` (MetaRouter mobile SDKs send no auth
header at all). ``Authorization: Bearer`` (Segment OAuth) carries no key: the body has it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any


def basic_username(authorization: bytes | None) -> str | None:
    """The username of a ``Basic`` header: ``base64("<wk>:")``, or ``base64("<wk>")`` without colon."""
    if not authorization or authorization[:6].lower() != b"basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username = decoded.split(":", 1)[0].strip()
    return username or None


def body_write_key(payload: dict[str, Any]) -> str | None:
    """A ``writeKey`` string at the top level of a JSON body."""
    key = payload.get("writeKey")
    return key if type(key) is str and key else None

"""Personal data normalized and SHA-256 hashed before it leaves Eventyard for an ad platform.

Every conversion API matches users on hashes of their email and phone, and each documents how to
normalize the value first (a hash of ``Jo@Example.com `` never matches one of
``jo@example.com``). The common rules live here: trim and lower-case emails (Google also drops the
dots of Gmail local parts), phones in E.164 (``+33612345678``; parsed by Google's libphonenumber
port, with the user's country as the default region for national numbers). A value that already
looks like a SHA-256 hex digest is taken as hashed. A value that cannot be normalized is dropped,
never sent raw.

``scrub`` removes personal data from properties that are forwarded as they are (custom data,
tags), so an email typed into a form field does not ride along unhashed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import phonenumbers

from eventyard.destinations.vendors import _message as m

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Property/trait names that hold personal data (compared case-insensitively, without _ and -).
PII_KEYS = frozenset(
    {
        "email",
        "emailaddress",
        "phone",
        "phonenumber",
        "mobile",
        "firstname",
        "lastname",
        "name",
        "address",
        "street",
        "birthday",
        "dateofbirth",
        "password",
    }
)
EMAIL_IN_TEXT = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


def sha256_hex(value: str) -> str:
    """Lower-case hex SHA-256 of a UTF-8 string."""
    return m.sha256_hex(value)


def md5_hex(value: str) -> str:
    """Lower-case hex MD5 (Criteo's second email form; not a security use)."""
    return hashlib.md5(value.encode("utf-8"), usedforsecurity=False).hexdigest()


def is_sha256(value: str) -> bool:
    """Whether ``value`` is already a SHA-256 hex digest (case-insensitive)."""
    return bool(SHA256_HEX.match(value.strip().lower()))


def normalize_email(value: Any, *, gmail_dots: bool = False) -> str | None:
    """Trimmed, lower-cased email; with ``gmail_dots`` the dots of gmail.com/googlemail.com local
    parts are removed (Google's rule). None when it is not an email address."""
    text = m.text(value)
    if not text or "@" not in text:
        return None
    local, _, domain = text.lower().rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in local + domain):
        return None
    if gmail_dots and domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def normalize_phone(value: Any, region: str | None = None) -> str | None:
    """The phone number in E.164 (``+14155550123``), or None when it cannot be parsed as a valid
    number (national numbers need ``region``, an ISO 3166 alpha-2 country)."""
    text = m.text(value)
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def user_region(message: Mapping[str, Any]) -> str | None:
    """The user's country for national phone numbers: the address country (alpha-2), else the
    locale's region (``en-US`` → ``US``)."""
    traits = m.user_traits(message)
    address = traits.get("address") if isinstance(traits.get("address"), dict) else {}
    country = m.text(address.get("country"))
    if country and len(country) == 2 and country.isalpha():
        return country.upper()
    locale = m.text(m.context(message).get("locale")) or ""
    region = locale.replace("_", "-").split("-")[1:2]
    return region[0].upper() if region and len(region[0]) == 2 and region[0].isalpha() else None


def message_email(message: Mapping[str, Any]) -> str | None:
    """The raw email of a message (traits, else track properties), unnormalized."""
    for source in (m.user_traits(message), m.properties(message)):
        value = m.text(source.get("email"))
        if value:
            return value
    return None


def message_phone(message: Mapping[str, Any]) -> str | None:
    """The raw phone number of a message (traits, else track properties), unnormalized."""
    for source in (m.user_traits(message), m.properties(message)):
        for key in ("phone", "phoneNumber", "phone_number"):
            value = m.text(source.get(key))
            if value:
                return value
    return None


def hashed_email(
    message: Mapping[str, Any], *, gmail_dots: bool = False, prehashed: bool = False
) -> str | None:
    """SHA-256 of the message's normalized email. With ``prehashed`` the source value must already
    be a SHA-256 digest (customers that hash before sending); anything else is dropped."""
    return _hashed(message_email(message), prehashed, lambda raw: normalize_email(raw, gmail_dots=gmail_dots))


def hashed_phone(message: Mapping[str, Any], *, prehashed: bool = False) -> str | None:
    """SHA-256 of the message's phone in E.164 (``+14155550132``). None when there is no phone or
    it is not a valid number."""
    return _hashed(message_phone(message), prehashed, lambda raw: normalize_phone(raw, user_region(message)))


def _hashed(raw: str | None, prehashed: bool, normalize: Callable[[str], str | None]) -> str | None:
    if raw is None:
        return None
    if is_sha256(raw):
        return raw.strip().lower()
    normalized = None if prehashed else normalize(raw)
    return sha256_hex(normalized) if normalized else None


def is_pii_key(key: str) -> bool:
    """Whether a property name holds personal data."""
    return re.sub(r"[_\-\s]", "", key).lower() in PII_KEYS


def scrub(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without personal data: PII-named keys are dropped and so are string values that
    contain an email address, at any depth."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if is_pii_key(str(key)):
            continue
        if isinstance(value, dict):
            clean[key] = scrub(value)
        elif isinstance(value, list):
            clean[key] = [scrub(v) if isinstance(v, dict) else v for v in value if not _has_email(v)]
        elif not _has_email(value):
            clean[key] = value
    return clean


def _has_email(value: Any) -> bool:
    return isinstance(value, str) and EMAIL_IN_TEXT.search(value) is not None


def scrub_url(url: Any) -> str | None:
    """A page URL without query parameters that carry personal data (a form sent with GET puts
    ``?email=…`` in the address bar): PII-named parameters and values holding an email are cut."""
    text = m.text(url)
    if not text:
        return None
    parts = urlsplit(text)
    if not parts.query:
        return text
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_pii_key(k) and not _has_email(v)
    ]
    return urlunsplit(parts._replace(query=urlencode(kept)))

"""Login throttling per (login name, client address), stored in the control DB (shared by every
Houston process).

Each attempt is counted *before* the password is checked, by one atomic upsert committed on its
own: however many attempts race, at most ``login_max_failures`` per window reach the Argon2
check. Keying by address as well as by name means knowing someone's email is not enough to lock
them out; a successful login clears the address's counter, a password reset every counter of
the name.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from sqlalchemy import Engine, Table, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from eventyard.db.models import LoginThrottle, utcnow
from eventyard.houston.codes import Code, HoustonError
from eventyard.houston.security import sha256_hex
from eventyard.settings import Settings


def _insert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can become an upsert (both control-DB backends speak ON CONFLICT)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"login throttling needs PostgreSQL or SQLite, not {dialect}")


def client_key(address: str | None) -> str:
    """The part of a client address that identifies one client: IPv4 as is, IPv6 by its /64
    (one subscriber gets a whole /64), anything unparsable as given."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _name_hash(email: str) -> str:
    # Hashed so the table does not become a list of emails (including ones with no account).
    return sha256_hex("login:" + email.lower())


def _key(email: str, address: str | None) -> str:
    return sha256_hex(f"login:{email.lower()}|{client_key(address)}")


def count_attempt(engine: Engine, settings: Settings, email: str, address: str | None) -> None:
    """Count one attempt and refuse it (``THROTTLED``) past the limit, before any password check.

    Runs in its own transaction so the count is visible to concurrent attempts at once and
    survives the attempt's outcome.
    """
    now = utcnow()
    window_start = now - timedelta(seconds=settings.login_lockout_seconds)
    table = LoginThrottle.__table__
    expired = table.c.window_started_at < window_start
    statement = (
        _insert(engine.dialect.name, table)
        .values(
            key_hash=_key(email, address), email_hash=_name_hash(email), failures=1, window_started_at=now
        )
        .on_conflict_do_update(
            index_elements=[table.c.key_hash],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_started_at": case((expired, now), else_=table.c.window_started_at),
            },
        )
        .returning(table.c.failures)
    )
    with engine.begin() as connection:
        attempts = connection.execute(statement).scalar_one()
    if attempts > settings.login_max_failures:
        raise HoustonError(Code.THROTTLED, "too many failed logins; try again later")


def record_success(session: Session, email: str, address: str | None) -> None:
    """A successful login clears its own address's counter (not other addresses')."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == _key(email, address)))


def clear(session: Session, email: str) -> None:
    """Following an emailed link (reset, invitation) proves the mailbox: clear every counter."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.email_hash == _name_hash(email)))

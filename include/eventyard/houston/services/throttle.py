"""Failed-login throttling per login name, stored in the control DB (shared by all processes)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventyard.db.models import LoginThrottle, utcnow
from eventyard.houston.codes import Code, HoustonError
from eventyard.houston.security import sha256_hex
from eventyard.settings import Settings


def _key(email: str) -> str:
    # Hashed so the table does not become a list of emails (including ones with no account).
    return sha256_hex("login:" + email.lower())


def check_not_locked(session: Session, email: str) -> None:
    """Refuse any attempt, right or wrong, while the name is locked out."""
    row = session.get(LoginThrottle, _key(email))
    if row is not None and row.locked_until is not None and row.locked_until > utcnow():
        raise HoustonError(Code.THROTTLED, "too many failed logins; try again later")


def record_failure(session: Session, settings: Settings, email: str) -> None:
    """Count a failure; the ``login_max_failures``-th one inside the window locks the name."""
    now = utcnow()
    window = timedelta(seconds=settings.login_lockout_seconds)
    row = session.get(LoginThrottle, _key(email))
    if row is None:
        try:
            # Two processes may count the first failure at once; the loser re-reads the winner's row.
            with session.begin_nested():
                session.add(LoginThrottle(key_hash=_key(email), failures=0, window_started_at=now))
        except IntegrityError:
            pass
        row = session.get(LoginThrottle, _key(email), populate_existing=True)
        assert row is not None
    if row.window_started_at + window < now:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= settings.login_max_failures:
        row.locked_until = now + window
        row.failures, row.window_started_at = 0, now


def record_success(session: Session, email: str) -> None:
    """A successful login clears the counter."""
    row = session.get(LoginThrottle, _key(email))
    if row is not None:
        session.delete(row)

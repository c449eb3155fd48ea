"""``eventyard bootstrap``: a confirmed user, an organization and a source in one step."""

from __future__ import annotations

from typing import Any

from eventyard.db.engine import get_engine
from eventyard.db.models import Membership, Organization, Role, Source, User, utcnow
from eventyard.errors import BadInputError
from eventyard.houston import security, validation
from eventyard.houston.codes import HoustonError
from eventyard.houston.services import accounts, sources
from eventyard.houston.services.unit import Actor, Unit, run_unit
from eventyard.settings import Settings


class BootstrapError(BadInputError, ValueError):
    """Bad input for bootstrap (the message names the option)."""


def _bootstrap(
    unit: Unit, email: str, password: str, org_name: str, source_name: str, platform: str
) -> dict[str, str]:
    email = validation.email("email", email)
    password = validation.password("password", password)
    if accounts.user_by_email(unit, email) is not None:
        raise BootstrapError(f"email: an account for {email} already exists")
    user = User(email=email, password_hash=security.hash_password(password), confirmed_at=utcnow())
    org = Organization(name=validation.name("org", org_name))
    unit.session.add_all([user, org])
    unit.session.flush()
    unit.session.add(Membership(org_id=org.id, user_id=user.id, role=Role.OWNER))
    unit.actor = Actor(user_id=user.id, org_id=org.id, role=Role.OWNER)
    source_id = sources.create_application(unit, validation.name("source", source_name), platform, org.id)
    source = unit.session.get(Source, source_id)
    assert source is not None
    return {
        "token": security.issue_token(unit.settings, user.id, user.token_version),
        "userId": user.id,
        "orgId": org.id,
        "sourceId": source_id,
        "writeKey": source_id,
    }


def bootstrap_account(
    settings: Settings, *, email: str, password: str, org_name: str, source_name: str, platform: str
) -> dict[str, Any]:
    """Create the account, organization and source; returns the token and the ids.

    Raises :class:`BootstrapError` for bad input or an existing account; nothing is created then.
    """
    try:
        return run_unit(
            get_engine(settings), settings, None, _bootstrap, email, password, org_name, source_name, platform
        )
    except HoustonError as exc:
        raise BootstrapError(exc.message) from None

"""API keys for trusted partners: created and revoked by Owners, stored hashed, never expire."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from eventyard.db.models import ApiKey, Role, utcnow
from eventyard.houston import security, validation
from eventyard.houston.codes import Code, HoustonError
from eventyard.houston.services.unit import Unit


@dataclass(frozen=True)
class CreatedKey:
    """The new key's id and its plaintext (shown exactly once)."""

    id: str
    plaintext: str


def create_api_key(unit: Unit, org_id: str, name: str, role: Role) -> CreatedKey:
    """A new key acting with ``role`` in the organization."""
    org_id = unit.owner_org(org_id)
    key = security.new_api_key()
    row = ApiKey(
        org_id=org_id,
        name=validation.name("name", name),
        prefix=key.prefix,
        key_hash=key.key_hash,
        role=role,
        created_by=unit.actor.user_id if unit.actor else None,
    )
    unit.insert(row)
    return CreatedKey(id=row.id, plaintext=key.plaintext)


def revoke_api_key(unit: Unit, key_id: str) -> str:
    """Revoke a key of the organization; requests using it are refused from now on."""
    org_id = unit.owner_org()
    row = unit.owned(ApiKey, org_id, "id", key_id, "API key")
    if row.revoked_at is not None:
        raise HoustonError(Code.CONFLICT, "id: API key is already revoked")
    row.revoked_at = utcnow()
    return row.id


def list_api_keys(unit: Unit) -> list[ApiKey]:
    """The organization's keys (hashes never leave the service)."""
    org_id = unit.owner_org()
    return list(
        unit.session.scalars(
            select(ApiKey).where(ApiKey.org_id == org_id).order_by(ApiKey.created_at, ApiKey.id)
        )
    )

"""Connections: destination credentials, validated against the catalog and encrypted at rest.

Users (role USER) may write connections but never read their details; Owners see secret
fields redacted unless they ask for them explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from eventyard.catalog import Destination, UnknownDestination, load_catalog
from eventyard.crypto import decrypt_details, encrypt_details
from eventyard.db.models import Connection, Integration
from eventyard.houston import validation
from eventyard.houston.codes import Code, HoustonError, invalid
from eventyard.houston.services.unit import Unit

REDACTED = "********"


@dataclass(frozen=True)
class ConnectionView:
    """A connection as a caller may see it."""

    id: str
    name: str
    integration_code: str
    connection_prototype_id: str
    details: dict[str, Any] | None
    field_names: list[str]
    created_at: datetime
    updated_at: datetime


def destination(code: str, field: str = "integrationCode") -> Destination:
    """The catalog entry for a code; unknown codes are bad input, retired ones are refused."""
    if len(code) > 64:
        raise invalid(field, "unknown destination")
    try:
        dest = load_catalog().get(code)
    except UnknownDestination:
        raise invalid(field, f"unknown destination {code!r}") from None
    if dest.status == "retired":
        raise HoustonError(
            Code.DESTINATION_RETIRED, f"{field}: {dest.name} is retired ({dest.status_reason})"
        )
    return dest


def _validated_details(dest: Destination, details: Any) -> dict[str, Any]:
    details = validation.json_object("details", details)
    catalog = load_catalog()
    details, problems = catalog.canonical_connection(dest.code, details)
    problems += catalog.validate_connection(dest.code, details)
    if problems:
        raise invalid("details", "; ".join(problems))
    return dict(details)


def _canonical(dest: Destination, details: Any) -> dict[str, Any]:
    details, problems = load_catalog().canonical_connection(dest.code, details)
    if problems:
        raise invalid("details", "; ".join(problems))
    return dict(details)


def _is_set(value: Any) -> bool:
    return value not in (None, "")


def merge_details(dest: Destination, stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """The new details: ``"********"`` keeps a stored value, unless the route changes (below).

    A stored secret only ever goes where it went when it was entered: once a routing field
    (host, URL, endpoint, region, data center) changes, every secret must be typed again or
    left out. Otherwise anyone who may edit connections could point a webhook at their own
    server and receive the ``Authorization`` header the next delivery sends (docs/houston.md).
    """
    merged = {k: (stored.get(k) if v == REDACTED else v) for k, v in incoming.items()}
    changed = sorted(
        name
        for name in dest.routing_connection_fields()
        if (_is_set(stored.get(name)) or _is_set(merged.get(name))) and stored.get(name) != merged.get(name)
    )
    kept = sorted(
        name
        for name in dest.secret_connection_fields()
        if incoming.get(name) == REDACTED and _is_set(stored.get(name))
    )
    if changed and kept:
        them = "it" if len(kept) == 1 else "them"
        raise invalid(
            "details",
            f"{', '.join(changed)} changed, so the stored {', '.join(kept)} cannot follow: "
            f"enter {them} again (or leave {them} out)",
        )
    return merged


def get_connection(unit: Unit, org_id: str, connection_id: str, field: str = "id") -> Connection:
    """A connection of the organization, else NOT_FOUND."""
    return unit.owned(Connection, org_id, field, connection_id, "connection")


def create_connection(
    unit: Unit, integration_code: str, details: Any, name: str, org_id: str, connection_prototype_id: str
) -> str:
    """Store credentials for one destination; the prototype id must be that destination's."""
    org_id = unit.member_org(org_id)
    name = validation.name("name", name)
    dest = destination(integration_code)
    if connection_prototype_id != dest.connection_prototype_id:
        raise invalid("connectionPrototypeId", f"must be {dest.connection_prototype_id!r} for {dest.code}")
    row = Connection(
        org_id=org_id,
        name=name,
        integration_code=dest.code,
        connection_prototype_id=dest.connection_prototype_id,
        details_encrypted=encrypt_details(unit.settings, _validated_details(dest, details)),
    )
    return unit.insert(row).id


def update_connection(unit: Unit, connection_id: str, *, name: str | None, details: Any | None) -> str:
    """Rename or replace details; a value of ``"********"`` keeps the stored secret.

    That lets a client send back what it read (redacted) and change only the other fields, as
    long as no routing field changes: then every secret must be entered again.
    """
    row = get_connection(unit, unit.member_org(), connection_id)
    if name is not None:
        row.name = validation.name("name", name)
    if details is not None:
        dest = destination(row.integration_code, "id")
        incoming = _canonical(dest, validation.json_object("details", details))
        stored = decrypt_details(unit.settings, row.details_encrypted)
        merged = merge_details(dest, stored, incoming)
        row.details_encrypted = encrypt_details(unit.settings, _validated_details(dest, merged))
    return row.id


def delete_connection(unit: Unit, connection_id: str) -> str:
    """Delete a connection no integration uses."""
    row = get_connection(unit, unit.member_org(), connection_id)
    users = unit.session.scalar(select(func.count()).where(Integration.connection_id == row.id))
    if users:
        raise HoustonError(
            Code.IN_USE, f"id: connection is used by {users} integration(s); delete those first"
        )
    unit.session.delete(row)
    return row.id


def list_connections(unit: Unit, org_id: str | None, include_secrets: bool) -> list[ConnectionView]:
    """The organization's connections, details shown according to the caller's role."""
    org_id = unit.member_org(org_id)
    if include_secrets and not unit.is_owner:
        raise HoustonError(Code.NOT_AN_OWNER, "includeSecrets: only an Owner may read secrets")
    rows = unit.session.scalars(
        select(Connection).where(Connection.org_id == org_id).order_by(Connection.created_at, Connection.id)
    )
    return [_view(unit, row, include_secrets) for row in rows]


def _view(unit: Unit, row: Connection, include_secrets: bool) -> ConnectionView:
    stored = decrypt_details(unit.settings, row.details_encrypted)
    details: dict[str, Any] | None = None  # Users never see connection contents
    if unit.is_owner:
        details = dict(stored) if include_secrets else _redacted(row.integration_code, stored)
    return ConnectionView(
        id=row.id,
        name=row.name,
        integration_code=row.integration_code,
        connection_prototype_id=row.connection_prototype_id,
        details=details,
        field_names=sorted(stored),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _redacted(code: str, details: dict[str, Any]) -> dict[str, Any]:
    try:
        secret = load_catalog().get(code).secret_connection_fields()
    except UnknownDestination:
        # A destination dropped from the catalog: hide every value rather than guess.
        return dict.fromkeys(details, REDACTED)
    return {k: (REDACTED if k in secret else v) for k, v in details.items()}

"""Clickstream sources ("applications"): the 21-character id is also the SDK write key."""

from __future__ import annotations

from sqlalchemy import delete, select

from eventyard.catalog import PLATFORMS
from eventyard.db.models import Integration, Source, utcnow
from eventyard.houston import validation
from eventyard.houston.codes import invalid, not_found
from eventyard.houston.services.unit import Unit


def _platform(value: str) -> str:
    normalized = value.strip().lower()
    if normalized not in PLATFORMS:
        raise invalid("platform", f"must be one of {', '.join(PLATFORMS)}")
    return normalized


def get_live_source(unit: Unit, org_id: str, source_id: str, field: str = "id") -> Source:
    """A non-deleted source of the organization, else NOT_FOUND (other orgs' ids included)."""
    source = unit.session.get(Source, validation.identifier(field, source_id))
    if source is None or source.org_id != org_id or source.deleted_at is not None:
        raise not_found("application")
    return source


def create_application(unit: Unit, name: str, platform: str, org_id: str) -> str:
    """A new source in the organization; returns its id (the write key)."""
    org_id = unit.member_org(org_id)
    source = Source(org_id=org_id, name=validation.name("name", name), platform=_platform(platform))
    return unit.insert(source).id


def update_application(
    unit: Unit, source_id: str, *, name: str | None, platform: str | None, enabled: bool | None
) -> str:
    """Rename, re-platform or enable/disable a source (a disabled write key is refused)."""
    source = get_live_source(unit, unit.member_org(), source_id)
    if name is not None:
        source.name = validation.name("name", name)
    if platform is not None:
        source.platform = _platform(platform)
    if enabled is not None:
        source.enabled = enabled
    return source.id


def delete_application(unit: Unit, source_id: str) -> str:
    """Soft-delete a source (landed batches keep their reference) and drop its integrations."""
    source = get_live_source(unit, unit.member_org(), source_id)
    unit.session.execute(delete(Integration).where(Integration.app_id == source.id))
    source.deleted_at = utcnow()
    source.enabled = False
    return source.id


def list_applications(unit: Unit, org_id: str | None) -> list[Source]:
    """The organization's live sources."""
    org_id = unit.member_org(org_id)
    return list(
        unit.session.scalars(
            select(Source)
            .where(Source.org_id == org_id, Source.deleted_at.is_(None))
            .order_by(Source.created_at, Source.id)
        )
    )

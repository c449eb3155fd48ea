"""Integrations: a source + a connection + a config payload, validated against the catalog."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eventyard.catalog import load_catalog
from eventyard.db.models import Integration, Source
from eventyard.houston import validation
from eventyard.houston.codes import Code, HoustonError, invalid
from eventyard.houston.services.connections import destination, get_connection
from eventyard.houston.services.sources import get_live_source
from eventyard.houston.services.unit import Unit


def _validated_config(code: str, payload: Any) -> dict[str, Any]:
    """The payload under the catalog's names (the seed's ``events`` is ``eventAllowList``), checked."""
    payload = validation.json_object("configPayload", payload)
    catalog = load_catalog()
    payload, problems = catalog.canonical_config(code, payload)
    problems += catalog.validate_config(code, payload)
    if problems:
        raise invalid("configPayload", "; ".join(problems))
    return dict(payload)


def _get(unit: Unit, integration_id: str) -> Integration:
    org_id = unit.member_org()
    return unit.owned(Integration, org_id, "id", integration_id, "integration")


def create_integration(
    unit: Unit, app_id: str, integration_code: str, config_payload: Any, connection_id: str, name: str
) -> str:
    """Route a source to a destination through a connection of the same organization."""
    org_id = unit.member_org()
    name = validation.name("name", name)
    source = get_live_source(unit, org_id, app_id, "appId")
    connection = get_connection(unit, org_id, connection_id, "connectionId")
    dest = destination(integration_code)
    if connection.integration_code != dest.code:
        raise invalid("connectionId", f"is a {connection.integration_code} connection, not {dest.code}")
    problem = load_catalog().check_platform(dest.code, source.platform)
    if problem:
        raise HoustonError(Code.PLATFORM_NOT_SUPPORTED, f"appId: {problem}")
    row = Integration(
        org_id=org_id,
        app_id=source.id,
        connection_id=connection.id,
        integration_code=dest.code,
        name=name,
        config=_validated_config(dest.code, config_payload),
        enabled=True,
    )
    return unit.insert(row).id


def update_integration(
    unit: Unit, integration_id: str, *, name: str | None, config_payload: Any | None, enabled: bool | None
) -> str:
    """Rename, reconfigure, or enable/disable an integration."""
    row = _get(unit, integration_id)
    if name is not None:
        row.name = validation.name("name", name)
    if config_payload is not None:
        destination(row.integration_code, "id")
        row.config = _validated_config(row.integration_code, config_payload)
    if enabled is not None:
        row.enabled = enabled
    return row.id


def delete_integration(unit: Unit, integration_id: str) -> str:
    """Remove an integration (its connection stays, for reuse)."""
    row = _get(unit, integration_id)
    unit.session.delete(row)
    return row.id


def list_integrations(unit: Unit, org_id: str | None, app_id: str | None) -> list[Integration]:
    """The organization's integrations of live sources, optionally for one source."""
    org_id = unit.member_org(org_id)
    query = (
        select(Integration)
        .join(Source, Source.id == Integration.app_id)
        .where(Integration.org_id == org_id, Source.deleted_at.is_(None))
        .order_by(Integration.created_at, Integration.id)
    )
    if app_id is not None:
        query = query.where(Integration.app_id == app_id)
    return list(unit.session.scalars(query))

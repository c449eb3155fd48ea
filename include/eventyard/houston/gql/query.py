"""The ``Query`` type: every query returns a list, as the seed document describes."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from eventyard.catalog import UnknownDestination, load_catalog
from eventyard.houston.gql.api_key import ApiKey
from eventyard.houston.gql.application import Application
from eventyard.houston.gql.connection import Connection
from eventyard.houston.gql.delivery import DeadLetter, DeliveryMetrics
from eventyard.houston.gql.integration import Integration
from eventyard.houston.gql.organization import Organization
from eventyard.houston.gql.permissions import Guard, IsAuthenticated, IsMember, IsOwner
from eventyard.houston.gql.prototype import ClickstreamPrototype
from eventyard.houston.gql.quality import QualityRound
from eventyard.houston.gql.resolve import query
from eventyard.houston.gql.user import User
from eventyard.houston.services import (
    accounts,
    api_keys,
    connections,
    delivery,
    integrations,
    orgs,
    quality,
    sources,
)


@strawberry.type
class Query:
    @strawberry.field(extensions=[Guard(IsAuthenticated())], description="The caller (empty for an API key).")
    async def me(self, info: Info) -> list[User]:
        if info.context.actor.user_id is None:
            return []
        return [User.from_model(await query(info, accounts.current_user))]

    @strawberry.field(extensions=[Guard(IsAuthenticated())], description="The caller's organizations.")
    async def organizations(
        self, info: Info, org_id: strawberry.ID | None = None, user_id: strawberry.ID | None = None
    ) -> list[Organization]:
        views = await query(info, orgs.list_organizations, org_id, user_id)
        return [Organization.from_view(v) for v in views]

    @strawberry.field(extensions=[Guard(IsMember())], description="The header organization's sources.")
    async def applications(self, info: Info, org_id: strawberry.ID | None = None) -> list[Application]:
        rows = await query(info, sources.list_applications, org_id)
        return [Application.from_model(r) for r in rows]

    @strawberry.field(extensions=[Guard(IsMember())], description="Connections; details for Owners only.")
    async def connections(
        self, info: Info, org_id: strawberry.ID | None = None, include_secrets: bool = False
    ) -> list[Connection]:
        views = await query(info, connections.list_connections, org_id, include_secrets)
        return [Connection.from_view(v) for v in views]

    @strawberry.field(extensions=[Guard(IsMember())], description="Integrations, optionally of one source.")
    async def integrations(
        self, info: Info, org_id: strawberry.ID | None = None, app_id: strawberry.ID | None = None
    ) -> list[Integration]:
        rows = await query(info, integrations.list_integrations, org_id, app_id)
        return [Integration.from_model(r) for r in rows]

    @strawberry.field(
        extensions=[Guard(IsMember())], description="Delivery counters, last error and lag per integration."
    )
    async def delivery_metrics(
        self, info: Info, integration_id: strawberry.ID | None = None
    ) -> list[DeliveryMetrics]:
        rows = await query(info, delivery.list_delivery_metrics, integration_id)
        return [DeliveryMetrics.from_metrics(r) for r in rows]

    @strawberry.field(extensions=[Guard(IsMember())], description="An integration's recent dead letters.")
    async def dead_letters(
        self, info: Info, integration_id: strawberry.ID, limit: int = 100, include_replayed: bool = False
    ) -> list[DeadLetter]:
        views = await query(info, delivery.list_dead_letters, str(integration_id), limit, include_replayed)
        return [DeadLetter.from_view(v) for v in views]

    @strawberry.field(
        extensions=[Guard(IsMember())], description="The latest quality round per warehouse integration."
    )
    async def quality_results(
        self, info: Info, integration_id: strawberry.ID | None = None
    ) -> list[QualityRound]:
        rows = await query(info, quality.list_quality_results, integration_id)
        return [QualityRound.from_model(r) for r in rows]

    @strawberry.field(extensions=[Guard(IsOwner())], description="The organization's API keys (Owners).")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        rows = await query(info, api_keys.list_api_keys)
        return [ApiKey.from_model(r) for r in rows]

    @strawberry.field(extensions=[Guard(IsAuthenticated())], description="The destination catalog.")
    async def clickstream_prototypes(
        self, info: Info, integration_code: str | None = None
    ) -> list[ClickstreamPrototype]:
        catalog = load_catalog()
        if integration_code is None:
            return [ClickstreamPrototype.from_destination(d) for d in catalog.all()]
        try:
            return [ClickstreamPrototype.from_destination(catalog.get(integration_code))]
        except UnknownDestination:
            return []

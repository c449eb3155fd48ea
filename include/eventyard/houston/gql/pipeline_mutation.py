"""Pipeline mutations: applications (sources), connections and integrations; any member."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from eventyard.houston.gql.permissions import Guard, IsMember
from eventyard.houston.gql.resolve import mutate
from eventyard.houston.gql.status import StatusMessage
from eventyard.houston.services import connections, integrations, sources

MEMBER = [Guard(IsMember())]


@strawberry.type
class PipelineMutation:
    @strawberry.mutation(extensions=MEMBER, description="A new source; `id` is its 21-character write key.")
    async def create_application(
        self, info: Info, name: str, platform: str, org_id: strawberry.ID
    ) -> StatusMessage:
        return await mutate(
            info, "application created", sources.create_application, name, platform, str(org_id)
        )

    @strawberry.mutation(extensions=MEMBER, description="Rename, re-platform, enable or disable a source.")
    async def update_application(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        platform: str | None = None,
        enabled: bool | None = None,
    ) -> StatusMessage:
        return await mutate(
            info,
            "application updated",
            sources.update_application,
            str(id),
            name=name,
            platform=platform,
            enabled=enabled,
        )

    @strawberry.mutation(extensions=MEMBER, description="Delete a source (its write key stops working).")
    async def delete_application(self, info: Info, id: strawberry.ID) -> StatusMessage:
        return await mutate(info, "application deleted", sources.delete_application, str(id))

    @strawberry.mutation(extensions=MEMBER, description="Store destination credentials (encrypted).")
    async def create_connection(
        self,
        info: Info,
        integration_code: str,
        details: JSON,
        name: str,
        org_id: strawberry.ID,
        connection_prototype_id: str,
    ) -> StatusMessage:
        return await mutate(
            info,
            "connection created",
            connections.create_connection,
            integration_code,
            details,
            name,
            str(org_id),
            connection_prototype_id,
        )

    @strawberry.mutation(
        extensions=MEMBER, description='Rename or replace details; "********" keeps a stored secret.'
    )
    async def update_connection(
        self, info: Info, id: strawberry.ID, name: str | None = None, details: JSON | None = None
    ) -> StatusMessage:
        return await mutate(
            info, "connection updated", connections.update_connection, str(id), name=name, details=details
        )

    @strawberry.mutation(extensions=MEMBER, description="Delete a connection no integration uses.")
    async def delete_connection(self, info: Info, id: strawberry.ID) -> StatusMessage:
        return await mutate(info, "connection deleted", connections.delete_connection, str(id))

    @strawberry.mutation(extensions=MEMBER, description="Route a source to a destination via a connection.")
    async def create_integration(
        self,
        info: Info,
        app_id: strawberry.ID,
        integration_code: str,
        config_payload: JSON,
        connection_id: strawberry.ID,
        name: str,
    ) -> StatusMessage:
        return await mutate(
            info,
            "integration created",
            integrations.create_integration,
            str(app_id),
            integration_code,
            config_payload,
            str(connection_id),
            name,
        )

    @strawberry.mutation(extensions=MEMBER, description="Rename, reconfigure, enable or disable.")
    async def update_integration(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        config_payload: JSON | None = None,
        enabled: bool | None = None,
    ) -> StatusMessage:
        return await mutate(
            info,
            "integration updated",
            integrations.update_integration,
            str(id),
            name=name,
            config_payload=config_payload,
            enabled=enabled,
        )

    @strawberry.mutation(extensions=MEMBER, description="Delete an integration.")
    async def delete_integration(self, info: Info, id: strawberry.ID) -> StatusMessage:
        return await mutate(info, "integration deleted", integrations.delete_integration, str(id))

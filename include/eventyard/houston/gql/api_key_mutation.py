"""API key mutations (Owners only): the plaintext key is returned once, at creation."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from eventyard.houston.codes import HoustonError
from eventyard.houston.gql.permissions import Guard, IsOwner
from eventyard.houston.gql.resolve import call, mutate
from eventyard.houston.gql.role import Role
from eventyard.houston.gql.status import ApiKeyPayload, StatusMessage
from eventyard.houston.services import api_keys


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(extensions=[Guard(IsOwner())], description="A new API key; `key` is shown only now.")
    async def create_api_key(self, info: Info, org_id: strawberry.ID, name: str, role: Role) -> ApiKeyPayload:
        try:
            created = await call(info, api_keys.create_api_key, str(org_id), name, role)
        except HoustonError as exc:
            return ApiKeyPayload.from_error(exc)
        return ApiKeyPayload.ok(
            "API key created; store it now, it cannot be shown again", created.id, key=created.plaintext
        )

    @strawberry.mutation(extensions=[Guard(IsOwner())], description="Revoke an API key.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> StatusMessage:
        return await mutate(info, "API key revoked", api_keys.revoke_api_key, str(id))

"""Organization mutations: create (anyone) and update (Owners only)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from eventyard.houston.gql.organization import AddUserInput, ChangeRoleInput
from eventyard.houston.gql.permissions import Guard, IsOwner, IsUserSession
from eventyard.houston.gql.resolve import mutate
from eventyard.houston.gql.status import StatusMessage
from eventyard.houston.services import orgs


@strawberry.type
class OrganizationMutation:
    @strawberry.mutation(
        extensions=[Guard(IsUserSession())], description="A new organization; you become its Owner."
    )
    async def create_organization(self, info: Info, name: str, user_id: strawberry.ID) -> StatusMessage:
        return await mutate(info, "organization created", orgs.create_organization, name, str(user_id))

    @strawberry.mutation(
        extensions=[Guard(IsOwner())],
        description="Rename, add users (unknown emails are invited), remove users, change roles, or delete.",
    )
    async def update_organization(
        self,
        info: Info,
        org_id: strawberry.ID,
        name: str | None = None,
        add_users: list[AddUserInput] | None = None,
        remove_users: list[strawberry.ID] | None = None,
        change_roles: list[ChangeRoleInput] | None = None,
        delete: bool = False,
    ) -> StatusMessage:
        return await mutate(
            info,
            "organization deleted" if delete else "organization updated",
            orgs.update_organization,
            str(org_id),
            name=name,
            add_users=[a.to_service() for a in add_users or []],
            remove_users=[str(u) for u in remove_users or []],
            change_roles=[c.to_service() for c in change_roles or []],
            delete_org=delete,
        )

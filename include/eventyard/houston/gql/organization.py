"""The ``Organization`` type, its members, roles, and the ``updateOrganization`` inputs."""

from __future__ import annotations

import strawberry

from eventyard.houston.gql.role import Role
from eventyard.houston.gql.rows import from_row
from eventyard.houston.services import orgs


@strawberry.type(description="A user's membership in an organization.")
class Member:
    user_id: strawberry.ID
    email: str
    first_name: str | None
    last_name: str | None
    confirmed: bool
    role: Role


@strawberry.type(description="An organization; `role` is the caller's own role in it.")
class Organization:
    id: strawberry.ID
    name: str
    role: Role
    members: list[Member]

    @classmethod
    def from_view(cls, view: orgs.OrgView) -> Organization:
        """The GraphQL view of a service-layer organization."""
        return from_row(cls, view, members=[from_row(Member, m) for m in view.members])


@strawberry.input(description="Add a user by email; unknown emails are signed up and invited.")
class AddUserInput:
    email: str
    role: Role = Role.USER

    def to_service(self) -> orgs.AddUser:
        """The service-layer value."""
        return orgs.AddUser(email=self.email, role=self.role)


@strawberry.input(description="Change a member's role.")
class ChangeRoleInput:
    user_id: strawberry.ID
    role: Role

    def to_service(self) -> orgs.ChangeRole:
        """The service-layer value."""
        return orgs.ChangeRole(user_id=str(self.user_id), role=self.role)

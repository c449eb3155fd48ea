"""Organizations and their members: create, list, rename, add/remove users, roles, delete."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from eventyard.db.models import Integration, Membership, Organization, Role, TokenPurpose, User
from eventyard.houston import validation
from eventyard.houston.codes import Code, HoustonError, invalid
from eventyard.houston.services.accounts import queue_link, user_by_email
from eventyard.houston.services.unit import Unit
from eventyard.mail import Mail

MAX_CHANGES = 100


@dataclass(frozen=True)
class MemberView:
    """A member as shown inside an organization."""

    user_id: str
    email: str
    first_name: str | None
    last_name: str | None
    confirmed: bool
    role: Role


@dataclass(frozen=True)
class OrgView:
    """An organization with the caller's role and its members."""

    id: str
    name: str
    role: Role
    members: list[MemberView]


@dataclass(frozen=True)
class AddUser:
    """One ``addUsers`` entry."""

    email: str
    role: Role


@dataclass(frozen=True)
class ChangeRole:
    """One ``changeRoles`` entry."""

    user_id: str
    role: Role


def create_organization(unit: Unit, name: str, user_id: str) -> str:
    """A new organization whose creator is its first Owner."""
    caller = unit.user_id()
    if user_id != caller:
        raise HoustonError(Code.FORBIDDEN, "userId: must be your own user id")
    org = unit.insert(Organization(name=validation.name("name", name)))
    unit.session.add(Membership(org_id=org.id, user_id=caller, role=Role.OWNER))
    return org.id


def list_organizations(unit: Unit, org_id: str | None, user_id: str | None) -> list[OrgView]:
    """The caller's organizations (an API key sees its own one), optionally filtered.

    ``userId`` narrows to organizations that user shares with the caller, so it never
    reveals anything the caller could not already see.
    """
    if unit.actor is None:
        raise HoustonError(Code.UNAUTHENTICATED, "authorization: a valid token is required")
    if unit.actor.user_id is None:
        visible = select(Organization.id).where(Organization.id == unit.actor.org_id)
    else:
        visible = select(Membership.org_id).where(Membership.user_id == unit.actor.user_id)
    query = select(Organization).where(Organization.id.in_(visible)).order_by(Organization.created_at)
    if org_id is not None:
        query = query.where(Organization.id == org_id)
    if user_id is not None:
        query = query.where(
            Organization.id.in_(select(Membership.org_id).where(Membership.user_id == user_id))
        )
    return [_view(unit, org) for org in unit.session.scalars(query)]


def _view(unit: Unit, org: Organization) -> OrgView:
    rows = unit.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.org_id == org.id)
        .order_by(Membership.created_at)
    ).all()
    members = [
        MemberView(u.id, u.email, u.first_name, u.last_name, u.confirmed_at is not None, m.role)
        for m, u in rows
    ]
    assert unit.actor is not None
    own = next((m.role for m in members if m.user_id == unit.actor.user_id), unit.actor.role or Role.USER)
    return OrgView(id=org.id, name=org.name, role=own, members=members)


def update_organization(
    unit: Unit,
    org_id: str,
    *,
    name: str | None = None,
    add_users: list[AddUser] | None = None,
    remove_users: list[str] | None = None,
    change_roles: list[ChangeRole] | None = None,
    delete_org: bool = False,
) -> str:
    """Owners only: rename, add (auto-signing up unknown emails), remove, re-role, or delete.

    All changes apply in one transaction; if they would leave no Owner, none apply.
    """
    org_id = unit.owner_org(org_id)
    org = unit.session.get(Organization, org_id)
    if org is None:
        raise HoustonError(Code.NOT_FOUND, "orgId: organization not found")
    change_count = len(add_users or []) + len(remove_users or []) + len(change_roles or [])
    if change_count > MAX_CHANGES:
        raise invalid("addUsers/removeUsers/changeRoles", f"at most {MAX_CHANGES} changes per call")
    if delete_org:
        if name is not None or change_count:
            raise invalid("delete", "cannot be combined with other changes")
        _delete(unit, org)
        return org_id
    if name is not None:
        org.name = validation.name("name", name)
    for entry in add_users or []:
        _add_user(unit, org, entry)
    for user_id in remove_users or []:
        unit.session.delete(_membership(unit, org_id, user_id, "removeUsers"))
    for change in change_roles or []:
        _membership(unit, org_id, change.user_id, "changeRoles").role = change.role
    unit.session.flush()
    owners = unit.session.scalar(
        select(func.count()).where(Membership.org_id == org_id, Membership.role == Role.OWNER)
    )
    if not owners:
        raise HoustonError(Code.LAST_OWNER, "an organization must keep at least one Owner")
    return org_id


def _membership(unit: Unit, org_id: str, user_id: str, field: str) -> Membership:
    row = unit.session.scalars(
        select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
    ).one_or_none()
    if row is None:
        raise HoustonError(Code.NOT_FOUND, f"{field}: user is not a member of this organization")
    return row


def _add_user(unit: Unit, org: Organization, entry: AddUser) -> None:
    email = validation.email("addUsers.email", entry.email)
    user = user_by_email(unit, email)
    if user is None:
        # Auto sign-up: the account exists from now on; its owner sets a password via the link.
        user = unit.insert(User(email=email, password_hash=None))
        queue_link(
            unit,
            user,
            TokenPurpose.INVITE,
            f"You are invited to {org.name} on Eventyard",
            f"You were added to the organization {org.name!r}. Set your password to accept:",
        )
    else:
        exists = unit.session.scalar(
            select(func.count()).where(Membership.org_id == org.id, Membership.user_id == user.id)
        )
        if exists:
            raise HoustonError(Code.CONFLICT, "addUsers: that user is already a member")
        unit.outbox.append(
            Mail(
                to=email,
                subject=f"You were added to {org.name} on Eventyard",
                body=f"You are now a member of the organization {org.name!r}.\n",
                kind="added-to-org",
            )
        )
    unit.insert(Membership(org_id=org.id, user_id=user.id, role=entry.role))


def _delete(unit: Unit, org: Organization) -> None:
    # Integrations restrict connection deletes; remove them first so the cascade can run.
    unit.session.execute(delete(Integration).where(Integration.org_id == org.id))
    unit.session.delete(org)
    unit.session.flush()

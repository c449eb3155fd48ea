"""Houston test helpers: a GraphQL client over the ASGI app, quick accounts, the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Membership, Organization, Role, User, utcnow
from eventyard.houston import security
from eventyard.houston.app import create_app
from eventyard.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 with tiny cost parameters: the production profile costs ~0.1 s per hash."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
        security._dummy_hash.cache_clear()
        yield
    security._dummy_hash.cache_clear()


class Api:
    """Posts GraphQL documents to the app with optional ``authorization``/``organization`` headers."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        org: str | None = None,
    ) -> dict[str, Any]:
        """The whole JSON response (data and errors)."""
        headers = {}
        if token is not None:
            headers["authorization"] = token
        if org is not None:
            headers["organization"] = org
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """The data of a response that must have no errors."""
        body = self.raw(query, variables, **kw)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    def one(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The single top-level field's value."""
        (value,) = self.data(query, variables, **kw).values()
        return value


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    """A client for Houston on the migrated control DB (SQLite and Postgres variants)."""
    with TestClient(create_app(settings)) as client:
        yield Api(client)


@pytest.fixture
def sqlite_api(sqlite_settings: Settings) -> Iterator[Api]:
    """A client on SQLite only, for behaviour that does not depend on the database."""
    with TestClient(create_app(sqlite_settings)) as client:
        yield Api(client)


@dataclass
class Account:
    """A confirmed user with a valid token."""

    user_id: str
    email: str
    token: str


def make_account(settings: Settings, email: str, *, password: str = PASSWORD) -> Account:
    """A confirmed user, created directly in the DB (fixtures only; the flows test sign-up)."""
    with session_scope(get_engine(settings)) as session:
        user = User(email=email, password_hash=security.hash_password(password), confirmed_at=utcnow())
        session.add(user)
        session.flush()
        user_id = user.id
    return Account(user_id, email, security.issue_token(settings, user_id, 0))


def make_org(settings: Settings, name: str, members: dict[str, Role]) -> str:
    """An organization with the given members (user id -> role)."""
    with session_scope(get_engine(settings)) as session:
        org = Organization(name=name)
        session.add(org)
        session.flush()
        for user_id, role in members.items():
            session.add(Membership(org_id=org.id, user_id=user_id, role=role))
        return org.id


def outbox_links(settings: Settings, to: str, kind: str | None = None) -> list[str]:
    """Links of the mails written to the outbox for ``to`` (oldest first)."""
    links = []
    outbox: Path = settings.outbox_dir
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        text = path.read_text()
        if f"To: {to}" not in text or (kind is not None and f"X-Eventyard-Kind: {kind}" not in text):
            continue
        links += re.findall(r"https?://\S+", text)
    return links


def link_token(link: str) -> str:
    """The ``token`` query parameter of an emailed link."""
    match = re.search(r"[?&]token=([^&\s]+)", link)
    assert match, link
    return match.group(1)

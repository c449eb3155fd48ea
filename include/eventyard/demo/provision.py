"""The demo's account, source and DuckDB warehouse, created through Houston's GraphQL API.

Everything goes through the public API a customer would use (sign-up, the emailed confirmation
link, login, organization, application = source, connection, integration), against Houston's
ASGI app in this process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eventyard.errors import FatalError
from eventyard.settings import Settings

SIGN_UP = """mutation($e: String!, $p: String!) {
  createNewUser(email: $e, password: $p, profile: {firstName: "Demo", lastName: "Player", company: "2048"}) {
    success message code } }"""
LOGIN = """mutation($e: String!, $p: String!) {
  createToken(username: $e, password: $p) { success message code token decoded { id } } }"""
CREATE_ORG = """mutation($u: ID!, $n: String!) { createOrganization(name: $n, userId: $u) {
  success message code id } }"""
CREATE_SOURCE = """mutation($o: ID!, $n: String!) { createApplication(name: $n, platform: "analytics.js",
  orgId: $o) { success message code id } }"""
PROTOTYPE = """{ clickstreamPrototypes(integrationCode: "duckdb") { connectionPrototype { id } } }"""
CREATE_CONNECTION = """mutation($o: ID!, $p: String!, $path: String!) { createConnection(
  integrationCode: "duckdb", name: "Demo warehouse", orgId: $o, connectionPrototypeId: $p,
  details: {path: $path}) { success message code id } }"""
CREATE_INTEGRATION = """mutation($a: ID!, $c: ID!) { createIntegration(appId: $a, integrationCode: "duckdb",
  connectionId: $c, name: "Demo DuckDB warehouse", configPayload: {}) { success message code id } }"""


class DemoError(FatalError, RuntimeError):
    """The demo cannot run, or Houston refused a step of its setup (the message says which and why)."""


@dataclass(frozen=True)
class Provisioned:
    """What the demo created through Houston."""

    user_id: str
    org_id: str
    token: str
    write_key: str
    connection_id: str
    integration_id: str
    warehouse_path: Path


class _Houston:
    def __init__(self, client: Any) -> None:
        self.client = client

    def call(
        self,
        step: str,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """POST one GraphQL document; raise DemoError on errors or ``success: false``."""
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise DemoError(f"{step}: HTTP {response.status_code} {body.get('errors')}")
        (value,) = body["data"].values()
        if isinstance(value, dict) and value.get("success") is False:
            raise DemoError(f"{step}: {value.get('code')} {value.get('message')}")
        return value


def provision(settings: Settings, *, email: str, password: str, source_name: str) -> Provisioned:
    """Sign up, confirm, log in, then create the organization, source, connection and integration."""
    from fastapi.testclient import TestClient

    from eventyard.houston.app import create_app

    warehouse = (settings.home / "warehouse.duckdb").resolve()
    with TestClient(create_app(settings)) as client:
        api = _Houston(client)
        api.call("sign up", SIGN_UP, {"e": email, "p": password})
        confirm = urlsplit(_confirmation_link(settings, email))
        page = client.get(f"{confirm.path}?{confirm.query}")
        if page.status_code != 200:
            raise DemoError(f"confirm email: HTTP {page.status_code}")
        login = api.call("log in", LOGIN, {"e": email, "p": password})
        token, user_id = login["token"], login["decoded"]["id"]
        auth = {"authorization": f"Bearer {token}"}
        org_id = api.call("create organization", CREATE_ORG, {"u": user_id, "n": "2048 Fans"}, headers=auth)[
            "id"
        ]
        scoped = {**auth, "organization": org_id}
        source = api.call("create source", CREATE_SOURCE, {"o": org_id, "n": source_name}, headers=scoped)[
            "id"
        ]
        (proto,) = api.call("duckdb prototype", PROTOTYPE, headers=auth)
        connection = api.call(
            "create connection",
            CREATE_CONNECTION,
            {"o": org_id, "p": proto["connectionPrototype"]["id"], "path": str(warehouse)},
            headers=scoped,
        )["id"]
        integration = api.call(
            "create integration", CREATE_INTEGRATION, {"a": source, "c": connection}, headers=scoped
        )["id"]
    return Provisioned(user_id, org_id, token, source, connection, integration, warehouse)


def _confirmation_link(settings: Settings, email: str) -> str:
    """The confirmation link Houston mailed (to the outbox, as no SMTP server is configured)."""
    for path in sorted(settings.outbox_dir.glob("*.eml"), reverse=True):
        text = path.read_text()
        if f"To: {email}" in text:
            links = re.findall(r"https?://\S+", text)
            if links:
                return links[0]
    raise DemoError(f"no confirmation mail for {email} in {settings.outbox_dir}")

"""A Postgres warehouse connection takes a ``url`` or the separate fields (docs/warehouse.md), as
Houston validates it: created through the API either way, it loads into a real Postgres."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from eventyard.db.models import Role
from eventyard.settings import Settings
from eventyard.warehouse.cycle import load_integration
from tests.conftest import _fresh_pg_database
from tests.houston.conftest import Api, make_account, make_org
from tests.warehouse.factories import land_batch

CREATE_CONNECTION = """mutation($d: JSON!, $o: ID!) { createConnection(integrationCode: "postgres",
  details: $d, name: "Warehouse", orgId: $o, connectionPrototypeId: "postgres-v1")
  { success message code id } }"""
CREATE_SOURCE = """mutation($o: ID!) { createApplication(name: "My Shop", platform: "server", orgId: $o)
  { success id } }"""
CREATE_INTEGRATION = """mutation($a: ID!, $c: ID!) { createIntegration(appId: $a, integrationCode: "postgres",
  configPayload: {}, connectionId: $c, name: "Load") { success message code id } }"""


def _separate_fields(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    return {"host": parsed.host, "port": parsed.port, "database": parsed.database, "user": parsed.username}


@pytest.mark.postgres
@pytest.mark.parametrize("form", ["url", "fields"])
def test_a_postgres_connection_by_url_or_fields_loads_events(
    sqlite_api: Api, sqlite_settings: Settings, pg_server_url: str, form: str
) -> None:
    api, settings = sqlite_api, sqlite_settings
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    auth = {"token": owner.token, "org": org}
    url = _fresh_pg_database(pg_server_url).replace("postgresql+psycopg://", "postgresql://")
    details = {"url": url} if form == "url" else _separate_fields(url)
    connection = api.one(CREATE_CONNECTION, {"d": details, "o": org}, **auth)
    assert connection["success"], connection
    # Both forms at once are refused, naming the choice.
    mixed = api.one(CREATE_CONNECTION, {"d": {"url": url, "host": "elsewhere"}, "o": org}, **auth)
    assert (mixed["success"], mixed["code"]) == (False, "INVALID_INPUT") and "not both" in mixed["message"]
    # The URL holds the password: it is secret, redacted unless asked for.
    (listed,) = api.one("{ connections { details } }", **auth)
    if form == "url":
        assert listed["details"] == {"url": "********"}
    source = api.one(CREATE_SOURCE, {"o": org}, **auth)["id"]
    integration = api.one(CREATE_INTEGRATION, {"a": source, "c": connection["id"]}, **auth)
    assert integration["success"], integration

    event = {
        "type": "track",
        "event": "Signed Up",
        "userId": "u1",
        "messageId": "m1",
        "properties": {"plan": "pro"},
    }
    land_batch(settings, source, [event])
    load_integration(settings, integration["id"])
    with psycopg.connect(url) as conn:
        rows = conn.execute('SELECT "id", "plan" FROM "my_shop"."signed_up"').fetchall()
    assert rows == [("m1", "pro")]

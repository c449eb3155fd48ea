"""Bad input on every mutation: missing fields, wrong types, unknown ids, oversized values.

Each case gets a clear error (a GraphQL validation error, or ``success: false`` with a code and a
message naming the argument) and changes nothing. The case list is checked against the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from eventyard.db.engine import get_engine
from eventyard.db.migrate import upgrade
from eventyard.db.models import Role
from eventyard.houston.app import create_app
from eventyard.houston.gql.schema import build_schema
from eventyard.settings import Settings
from tests.conftest import _fresh_pg_database
from tests.destinations.pipeline import add_integration
from tests.houston.conftest import PASSWORD, Api, make_account, make_org
from tests.houston.world import OrgWorld, build_org

S = "{ success message code id }"
BIG = "x" * 5000
HUGE_JSON = {"webhookUrl": "https://x.example.com", "padding": "y" * (65 * 1024)}
VALIDATION = "GRAPHQL_VALIDATION"  # the request is refused before any resolver runs
UNKNOWN = "unknownid0000000000000"


@dataclass(frozen=True)
class Case:
    """A bad call and what it must answer: VALIDATION, or a code plus the argument named in the message."""

    mutation: str
    document: str
    variables: dict[str, Any]
    code: str
    names: str = ""


def cases(w: OrgWorld, warehouse_id: str) -> list[Case]:
    """Every mutation, aimed at a real organization by its Owner, with bad input."""
    o, app, conn, integ, key = w.id, w.app_id, w.connection_id, w.integration_id, w.api_key_id
    replay_doc = (
        "mutation($i: ID!, $m: [String!], $s: DateTime) { replayDeadLetters(integrationId: $i, "
        f"messageIds: $m, since: $s) {S} }}"
    )
    conn_doc = (
        "mutation($c: String!, $d: JSON!, $n: String!, $o: ID!, $p: String!) { createConnection("
        f"integrationCode: $c, details: $d, name: $n, orgId: $o, connectionPrototypeId: $p) {S} }}"
    )
    good_conn = {
        "c": "webhooks",
        "d": {"webhookUrl": "https://x.example.com"},
        "n": "C",
        "o": o,
        "p": "webhooks-v1",
    }
    integ_doc = (
        "mutation($a: ID!, $c: String!, $p: JSON!, $k: ID!, $n: String!) { createIntegration(appId: $a, "
        f"integrationCode: $c, configPayload: $p, connectionId: $k, name: $n) {S} }}"
    )
    good_integ = {"a": app, "c": "webhooks", "p": {}, "k": conn, "n": "I"}
    org_doc = (
        "mutation($o: ID!, $n: String, $add: [AddUserInput!], $rm: [ID!], $ch: [ChangeRoleInput!]) "
        "{ updateOrganization(orgId: $o, name: $n, addUsers: $add, removeUsers: $rm, changeRoles: $ch) "
        f"{S} }}"
    )
    return [
        Case("createToken", f'mutation {{ createToken(username: "a@example.com") {S} }}', {}, VALIDATION),
        Case("createToken", f'mutation {{ createToken(username: 5, password: "p") {S} }}', {}, VALIDATION),
        Case(
            "createToken",
            f'mutation($u: String!) {{ createToken(username: $u, password: "password") {S} }}',
            {"u": BIG},
            "INVALID_CREDENTIALS",
        ),
        Case("createNewUser", f'mutation {{ createNewUser(password: "password-1") {S} }}', {}, VALIDATION),
        Case(
            "createNewUser",
            f'mutation {{ createNewUser(email: "nope", password: "password-1") {S} }}',
            {},
            "INVALID_INPUT",
            "email",
        ),
        Case(
            "createNewUser",
            f'mutation {{ createNewUser(email: "n@example.com", password: "short") {S} }}',
            {},
            "INVALID_INPUT",
            "password",
        ),
        Case(
            "createNewUser",
            f'mutation($p: String!) {{ createNewUser(email: "n@example.com", password: $p) {S} }}',
            {"p": BIG},
            "INVALID_INPUT",
            "password",
        ),
        Case(
            "createNewUser",
            'mutation($f: String!) { createNewUser(email: "n@example.com", '
            f'password: "password-1", profile: {{firstName: $f}}) {S} }}',
            {"f": BIG},
            "INVALID_INPUT",
            "profile.firstName",
        ),
        Case("confirmEmail", f"mutation {{ confirmEmail {S} }}", {}, VALIDATION),
        Case(
            "confirmEmail",
            f"mutation($t: String!) {{ confirmEmail(token: $t) {S} }}",
            {"t": BIG},
            "INVALID_LINK",
            "token",
        ),
        Case("acceptInvitation", f'mutation {{ acceptInvitation(token: "t") {S} }}', {}, VALIDATION),
        Case(
            "acceptInvitation",
            f'mutation {{ acceptInvitation(token: "t", password: "short") {S} }}',
            {},
            "INVALID_INPUT",
            "password",
        ),
        Case("requestPasswordReset", f"mutation {{ requestPasswordReset {S} }}", {}, VALIDATION),
        Case(
            "requestPasswordReset",
            f'mutation {{ requestPasswordReset(email: "not an email") {S} }}',
            {},
            "INVALID_INPUT",
            "email",
        ),
        Case(
            "resetPassword",
            f'mutation {{ resetPassword(token: "unknown", password: "password-1") {S} }}',
            {},
            "INVALID_LINK",
            "token",
        ),
        Case(
            "resetPassword",
            f'mutation {{ resetPassword(token: ["x"], password: "password-1") {S} }}',
            {},
            VALIDATION,
        ),
        Case("updateUser", f"mutation {{ updateUser {S} }}", {}, VALIDATION),
        Case(
            "updateUser",
            f"mutation($f: String!) {{ updateUser(profile: {{lastName: $f}}) {S} }}",
            {"f": BIG},
            "INVALID_INPUT",
            "profile.lastName",
        ),
        Case(
            "changePassword",
            f'mutation($c: String!) {{ changePassword(currentPassword: $c, newPassword: "short") {S} }}',
            {"c": PASSWORD},
            "INVALID_INPUT",
            "newPassword",
        ),
        Case(
            "changePassword", f'mutation {{ changePassword(newPassword: "password-2") {S} }}', {}, VALIDATION
        ),
        Case("createOrganization", f'mutation {{ createOrganization(name: "X") {S} }}', {}, VALIDATION),
        Case(
            "createOrganization",
            f"mutation($u: ID!, $n: String!) {{ createOrganization(name: $n, userId: $u) {S} }}",
            {"u": w.owner.user_id, "n": BIG},
            "INVALID_INPUT",
            "name",
        ),
        Case(
            "createOrganization",
            f'mutation($u: ID!) {{ createOrganization(name: "  ", userId: $u) {S} }}',
            {"u": w.owner.user_id},
            "INVALID_INPUT",
            "name",
        ),
        Case(
            "createOrganization",
            f'mutation {{ createOrganization(name: "X", userId: "{UNKNOWN}") {S} }}',
            {},
            "FORBIDDEN",
            "userId",
        ),
        Case("updateOrganization", org_doc, {"o": o, "n": BIG}, "INVALID_INPUT", "name"),
        Case(
            "updateOrganization",
            org_doc,
            {"o": o, "n": "Acme\r\nBcc: victim@example.com"},
            "INVALID_INPUT",
            "name",
        ),
        Case(
            "updateOrganization",
            org_doc,
            {"o": o, "n": "Renamed", "add": [{"email": "bad", "role": "USER"}]},
            "INVALID_INPUT",
            "addUsers.email",
        ),
        Case("updateOrganization", org_doc, {"o": o, "rm": [UNKNOWN]}, "NOT_FOUND", "removeUsers"),
        Case(
            "updateOrganization",
            org_doc,
            {"o": o, "ch": [{"userId": UNKNOWN, "role": "OWNER"}]},
            "NOT_FOUND",
            "changeRoles",
        ),
        Case(
            "updateOrganization",
            org_doc,
            {"o": o, "ch": [{"userId": w.user.user_id, "role": "ADMIN"}]},
            VALIDATION,
        ),
        Case("updateOrganization", org_doc, {"o": UNKNOWN, "n": "X"}, "NOT_A_MEMBER", "orgId"),
        Case(
            "createApplication",
            f'mutation($o: ID!) {{ createApplication(name: "A", platform: "c64", orgId: $o) {S} }}',
            {"o": o},
            "INVALID_INPUT",
            "platform",
        ),
        Case(
            "createApplication",
            f"mutation($o: ID!, $n: String!) {{ createApplication(name: $n, "
            f'platform: "server", orgId: $o) {S} }}',
            {"o": o, "n": BIG},
            "INVALID_INPUT",
            "name",
        ),
        Case(
            "createApplication",
            f'mutation {{ createApplication(name: "A", platform: "server") {S} }}',
            {},
            VALIDATION,
        ),
        Case(
            "updateApplication",
            f'mutation {{ updateApplication(id: "{UNKNOWN}", name: "B") {S} }}',
            {},
            "NOT_FOUND",
            "application",
        ),
        Case(
            "updateApplication",
            f'mutation {{ updateApplication(id: "{app}", enabled: "no") {S} }}',
            {},
            VALIDATION,
        ),
        Case(
            "updateApplication",
            f'mutation {{ updateApplication(id: "{app}", name: "B", platform: "c64") {S} }}',
            {},
            "INVALID_INPUT",
            "platform",
        ),
        Case(
            "deleteApplication",
            f"mutation($i: ID!) {{ deleteApplication(id: $i) {S} }}",
            {"i": BIG},
            "INVALID_INPUT",
            "id",
        ),
        Case("deleteApplication", f"mutation {{ deleteApplication {S} }}", {}, VALIDATION),
        Case(
            "createConnection",
            conn_doc,
            {**good_conn, "c": "no_such_vendor"},
            "INVALID_INPUT",
            "integrationCode",
        ),
        Case(
            "createConnection",
            conn_doc,
            {**good_conn, "p": "amplitude-v1"},
            "INVALID_INPUT",
            "connectionPrototypeId",
        ),
        Case("createConnection", conn_doc, {**good_conn, "d": {}}, "INVALID_INPUT", "details"),
        Case("createConnection", conn_doc, {**good_conn, "d": "a string"}, "INVALID_INPUT", "details"),
        Case("createConnection", conn_doc, {**good_conn, "d": HUGE_JSON}, "INVALID_INPUT", "details"),
        Case("createConnection", conn_doc, {**good_conn, "n": BIG}, "INVALID_INPUT", "name"),
        Case(
            "createConnection",
            conn_doc,
            {**good_conn, "c": "calq", "p": "calq-v1", "d": {"writeKey": "k"}},
            "DESTINATION_RETIRED",
            "integrationCode",
        ),
        Case("createConnection", conn_doc, {k: v for k, v in good_conn.items() if k != "d"}, VALIDATION),
        Case(
            "updateConnection",
            f'mutation {{ updateConnection(id: "{UNKNOWN}", name: "N") {S} }}',
            {},
            "NOT_FOUND",
            "connection",
        ),
        Case(
            "updateConnection",
            f'mutation($d: JSON) {{ updateConnection(id: "{conn}", details: $d) {S} }}',
            {"d": {"webhookUrl": 5}},
            "INVALID_INPUT",
            "details",
        ),
        Case(
            "deleteConnection",
            f'mutation {{ deleteConnection(id: "{UNKNOWN}") {S} }}',
            {},
            "NOT_FOUND",
            "connection",
        ),
        Case("createIntegration", integ_doc, {**good_integ, "a": UNKNOWN}, "NOT_FOUND", "application"),
        Case("createIntegration", integ_doc, {**good_integ, "k": UNKNOWN}, "NOT_FOUND", "connection"),
        Case(
            "createIntegration", integ_doc, {**good_integ, "c": "amplitude"}, "INVALID_INPUT", "connectionId"
        ),
        Case(
            "createIntegration",
            integ_doc,
            {**good_integ, "p": {"batchSize": "lots"}},
            "INVALID_INPUT",
            "configPayload",
        ),
        Case(
            "createIntegration", integ_doc, {**good_integ, "p": HUGE_JSON}, "INVALID_INPUT", "configPayload"
        ),
        Case(  # the seed's `events` and our `eventAllowList` are one field: not both at once
            "createIntegration",
            integ_doc,
            {**good_integ, "p": {"events": ["a"], "eventAllowList": ["b"]}},
            "INVALID_INPUT",
            "configPayload",
        ),
        Case("createIntegration", integ_doc, {**good_integ, "n": BIG}, "INVALID_INPUT", "name"),
        Case(
            "updateIntegration",
            f'mutation {{ updateIntegration(id: "{UNKNOWN}", enabled: false) {S} }}',
            {},
            "NOT_FOUND",
            "integration",
        ),
        Case(
            "updateIntegration",
            f'mutation {{ updateIntegration(id: "{integ}", configPayload: {{nope: 1}}) {S} }}',
            {},
            "INVALID_INPUT",
            "configPayload",
        ),
        Case(
            "updateIntegration",
            f'mutation {{ updateIntegration(id: "{integ}", enabled: 3) {S} }}',
            {},
            VALIDATION,
        ),
        Case(
            "deleteIntegration",
            f'mutation {{ deleteIntegration(id: "{UNKNOWN}") {S} }}',
            {},
            "NOT_FOUND",
            "integration",
        ),
        Case(
            "createApiKey",
            f'mutation($o: ID!) {{ createApiKey(orgId: $o, name: "K", role: ROOT) {S} }}',
            {"o": o},
            VALIDATION,
        ),
        Case(
            "createApiKey",
            f"mutation($o: ID!, $n: String!) {{ createApiKey(orgId: $o, name: $n, role: USER) {S} }}",
            {"o": o, "n": BIG},
            "INVALID_INPUT",
            "name",
        ),
        Case("revokeApiKey", f'mutation {{ revokeApiKey(id: "{UNKNOWN}") {S} }}', {}, "NOT_FOUND", "API key"),
        Case("revokeApiKey", f"mutation {{ revokeApiKey(id: {{a: 1}}) {S} }}", {}, VALIDATION),
        Case("deleteConnection", f'mutation {{ deleteConnection(id: "{conn}") {S} }}', {}, "IN_USE", "id"),
        Case("revokeApiKey", f'mutation {{ revokeApiKey(id: "{key}", extra: 1) {S} }}', {}, VALIDATION),
        Case("replayDeadLetters", replay_doc, {"i": UNKNOWN}, "NOT_FOUND", "integration"),
        Case("replayDeadLetters", replay_doc, {"i": BIG}, "INVALID_INPUT", "integrationId"),
        Case("replayDeadLetters", replay_doc, {"i": warehouse_id}, "INVALID_INPUT", "integrationId"),
        Case("replayDeadLetters", replay_doc, {"i": integ, "m": []}, "INVALID_INPUT", "messageIds"),
        Case("replayDeadLetters", replay_doc, {"i": integ, "m": [BIG]}, "INVALID_INPUT", "messageIds"),
        Case("replayDeadLetters", replay_doc, {"i": integ, "m": [""]}, "INVALID_INPUT", "messageIds"),
        Case("replayDeadLetters", replay_doc, {"i": integ, "s": "last tuesday"}, VALIDATION),
        Case("replayDeadLetters", f"mutation {{ replayDeadLetters {S} }}", {}, VALIDATION),
    ]


@dataclass
class World:
    api: Api
    settings: Settings
    org: OrgWorld
    warehouse_id: str  # a DuckDB integration of ``org``: loaded, never delivered


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One organization; no bad call may change any row of any table."""
    home: Path = tmp_path_factory.mktemp("bad-input")
    url = f"sqlite:///{home / 'control.db'}"
    if request.param == "postgres":
        url = _fresh_pg_database(request.getfixturevalue("pg_server_url"))
    settings = Settings(home=home, database_url=url, secret_key="bad-input-secret-" + "z" * 32)
    upgrade(get_engine(settings))
    org = build_org(settings, "A")
    warehouse_id = add_integration(
        settings, org.id, org.app_id, "duckdb", {"path": str(home / "warehouse.duckdb")}
    )
    with TestClient(create_app(settings)) as client:
        yield World(Api(client), settings, org, warehouse_id)


def _all_rows(settings: Settings) -> dict[str, list[tuple[str, ...]]]:
    engine = get_engine(settings)
    tables = sorted(set(inspect(engine).get_table_names()) - {"login_throttle", "alembic_version"})
    with engine.connect() as conn:
        return {
            t: sorted(tuple(map(str, r)) for r in conn.execute(text(f'SELECT * FROM "{t}"'))) for t in tables
        }


MUTATIONS = [
    "createToken",
    "createNewUser",
    "confirmEmail",
    "acceptInvitation",
    "requestPasswordReset",
    "resetPassword",
    "updateUser",
    "changePassword",
    "createOrganization",
    "updateOrganization",
    "createApplication",
    "updateApplication",
    "deleteApplication",
    "createConnection",
    "updateConnection",
    "deleteConnection",
    "createIntegration",
    "updateIntegration",
    "deleteIntegration",
    "createApiKey",
    "revokeApiKey",
    "replayDeadLetters",
]


def test_every_mutation_has_bad_input_cases(world: World) -> None:
    result = build_schema(world.settings).execute_sync("{ __schema { mutationType { fields { name } } } }")
    assert result.data is not None
    assert {f["name"] for f in result.data["__schema"]["mutationType"]["fields"]} == set(MUTATIONS)
    assert {c.mutation for c in cases(world.org, world.warehouse_id)} == set(MUTATIONS)


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_bad_input_is_refused_clearly_and_changes_nothing(world: World, mutation: str) -> None:
    before = _all_rows(world.settings)
    auth = {"token": world.org.owner.token, "org": world.org.id}
    for case in [c for c in cases(world.org, world.warehouse_id) if c.mutation == mutation]:
        body = world.api.raw(case.document, case.variables, **auth)
        if case.code == VALIDATION:
            assert body.get("data") is None and body["errors"], (case, body)
            assert all(e["message"] != "Unexpected error." for e in body["errors"]), body
        else:
            assert not body.get("errors"), (case, body)
            payload = body["data"][mutation]
            assert (payload["success"], payload["code"]) == (False, case.code), (case, payload)
            assert case.names in payload["message"], (case, payload)
        assert _all_rows(world.settings) == before, case


def test_delivery_queries_refuse_bad_input(world: World) -> None:
    auth = {"token": world.org.owner.token, "org": world.org.id}
    letters = "query($i: ID!, $l: Int!) { deadLetters(integrationId: $i, limit: $l) { messageId } }"
    metrics = "query($i: ID) { deliveryMetrics(integrationId: $i) { integrationId } }"
    integ = world.org.integration_id
    refused = [
        (letters, {"i": integ, "l": 0}, "INVALID_INPUT", "limit"),
        (letters, {"i": integ, "l": 1001}, "INVALID_INPUT", "limit"),
        (letters, {"i": UNKNOWN, "l": 10}, "NOT_FOUND", "integration"),
        (letters, {"i": BIG, "l": 10}, "INVALID_INPUT", "integrationId"),
        (letters, {"i": world.warehouse_id, "l": 10}, "INVALID_INPUT", "warehouse"),
        (metrics, {"i": BIG}, "INVALID_INPUT", "integrationId"),
    ]
    for document, variables, code, names in refused:
        body = world.api.raw(document, variables, **auth)
        (error,) = body["errors"]
        assert (error["extensions"]["code"], body["data"]) == (code, None), (variables, body)
        assert names in error["message"], body
    body = world.api.raw(letters, {"i": integ, "l": "ten"}, **auth)
    assert body.get("data") is None and body["errors"][0]["message"] != "Unexpected error.", body
    # A filter naming a warehouse integration or an unknown id finds nothing, like `integrations(appId)`.
    assert world.api.one(metrics, {"i": world.warehouse_id}, **auth) == []
    assert world.api.one(metrics, {"i": UNKNOWN}, **auth) == []
    assert world.api.one(metrics, {}, **auth) == [{"integrationId": integ}]


def test_platform_matrix_is_enforced(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    auth = {"token": owner.token, "org": org}
    web = api.one(
        f'mutation($o: ID!) {{ createApplication(name: "W", platform: "analytics.js", orgId: $o) {S} }}',
        {"o": org},
        **auth,
    )["id"]
    ios = api.one(
        f'mutation($o: ID!) {{ createApplication(name: "I", platform: "analytics-ios", orgId: $o) {S} }}',
        {"o": org},
        **auth,
    )["id"]
    conn = api.one(
        f"""mutation($o: ID!) {{ createConnection(integrationCode: "google_firebase", name: "F", orgId: $o,
            connectionPrototypeId: "google_firebase-v1",
            details: {{firebaseAppId: "1:2:ios:3", apiSecret: "s"}})
            {S} }}""",
        {"o": org},
        **auth,
    )
    assert conn["success"], conn
    doc = (
        f'mutation($a: ID!, $c: ID!) {{ createIntegration(appId: $a, integrationCode: "google_firebase", '
        f'configPayload: {{}}, connectionId: $c, name: "F") {S} }}'
    )
    refused = api.one(doc, {"a": web, "c": conn["id"]}, **auth)
    assert refused["code"] == "PLATFORM_NOT_SUPPORTED" and "mobile" in refused["message"]
    assert api.one(doc, {"a": ios, "c": conn["id"]}, **auth)["success"]

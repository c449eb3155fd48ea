"""Organization isolation: every query and mutation, called by outsiders and by a User, leaks nothing of
organization B and changes nothing of it.

The operation list is checked against the schema, so a new operation cannot be forgotten here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventyard.catalog import Field, load_catalog
from eventyard.crypto import decrypt_details
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.migrate import upgrade
from eventyard.db.models import Connection
from eventyard.houston.app import create_app
from eventyard.houston.gql.schema import build_schema
from eventyard.houston.services.connections import REDACTED
from eventyard.settings import Settings
from tests.conftest import _fresh_pg_database
from tests.houston.conftest import Api
from tests.houston.world import OrgWorld, build_org, leaked, snapshot

REFUSALS = {
    "NOT_A_MEMBER",
    "NOT_AN_OWNER",
    "NOT_FOUND",
    "FORBIDDEN",
    "INVALID_CREDENTIALS",
    "INVALID_LINK",
    "THROTTLED",
    "UNAUTHENTICATED",
    "USER_SESSION_REQUIRED",
    "ORGANIZATION_REQUIRED",
}
STATUS = "{ success message code id }"
Vars = Callable[[OrgWorld, OrgWorld], dict[str, Any]]  # (attacker's org A, victim org B) -> variables


@dataclass(frozen=True)
class Op:
    """One operation and the ways an attacker aims it at organization B."""

    field: str
    document: str
    variants: tuple[Vars, ...] = (lambda a, b: {},)
    owner_only: bool = False  # a User of B must be refused too
    harmless: bool = False  # may succeed for anyone (touches only the caller's own data, or nothing)


OPS = [
    Op("me", "{ me { id email firstName } }", harmless=True),
    Op(
        "organizations",
        "query($o: ID, $u: ID) { organizations(orgId: $o, userId: $u) { id name members { email } } }",
        (lambda a, b: {"o": b.id}, lambda a, b: {"u": b.owner.user_id}, lambda a, b: {}),
        harmless=True,
    ),
    Op(
        "applications",
        "query($o: ID) { applications(orgId: $o) { id name writeKey } }",
        (lambda a, b: {"o": b.id}, lambda a, b: {}),
    ),
    Op(
        "connections",
        "query($o: ID, $s: Boolean!) { connections(orgId: $o, includeSecrets: $s) "
        "{ id name details fieldNames } }",
        (lambda a, b: {"o": b.id, "s": True}, lambda a, b: {"o": None, "s": True}),
        owner_only=True,
    ),
    Op(
        "integrations",
        "query($o: ID, $a: ID) { integrations(orgId: $o, appId: $a) { id name configPayload } }",
        (lambda a, b: {"o": b.id, "a": b.app_id}, lambda a, b: {"o": None, "a": b.app_id}),
    ),
    Op("apiKeys", "{ apiKeys { id name prefix } }", owner_only=True),
    Op(
        "deliveryMetrics",
        "query($i: ID) { deliveryMetrics(integrationId: $i) "
        "{ integrationId name delivered deadLettered lastError lagSeconds } }",
        (lambda a, b: {"i": b.integration_id}, lambda a, b: {}),
    ),
    Op(
        "deadLetters",
        "query($i: ID!) { deadLetters(integrationId: $i, includeReplayed: true) "
        "{ id messageId batchId error } }",
        (lambda a, b: {"i": b.integration_id},),
    ),
    Op(
        "qualityResults",
        "query($i: ID) { qualityResults(integrationId: $i) { integrationId runId schemaName "
        "results { table detail } } }",
        (lambda a, b: {"i": b.integration_id}, lambda a, b: {}),
    ),
    Op("clickstreamPrototypes", '{ clickstreamPrototypes(integrationCode: "webhooks") { integrationCode } }'),
    Op(
        "createToken",
        'mutation($u: String!) { createToken(username: $u, password: "wrong-password") '
        "{ success message code token decoded { id } } }",
        (lambda a, b: {"u": b.owner.email},),
    ),
    Op(
        "createNewUser",
        f'mutation($e: String!) {{ createNewUser(email: $e, password: "password-123") {STATUS} }}',
        (lambda a, b: {"e": b.owner.email},),
        harmless=True,
    ),
    Op("confirmEmail", f'mutation {{ confirmEmail(token: "not-a-real-token") {STATUS} }}'),
    Op(
        "acceptInvitation",
        f'mutation {{ acceptInvitation(token: "nope", password: "password-123") {STATUS} }}',
    ),
    Op(
        "requestPasswordReset",
        f"mutation($e: String!) {{ requestPasswordReset(email: $e) {STATUS} }}",
        (lambda a, b: {"e": b.owner.email},),
        harmless=True,
    ),
    Op("resetPassword", f'mutation {{ resetPassword(token: "nope", password: "password-123") {STATUS} }}'),
    Op("updateUser", f'mutation {{ updateUser(profile: {{firstName: "Mallory"}}) {STATUS} }}', harmless=True),
    Op(
        "changePassword",
        'mutation { changePassword(currentPassword: "wrong-password", newPassword: "password-123") '
        f"{STATUS} }}",
    ),
    Op(
        "createOrganization",
        f'mutation($u: ID!) {{ createOrganization(name: "Evil", userId: $u) {STATUS} }}',
        (lambda a, b: {"u": b.owner.user_id},),
    ),
    Op(
        "updateOrganization",
        "mutation($o: ID!, $n: String, $add: [AddUserInput!], $rm: [ID!], $ch: [ChangeRoleInput!], "
        "$d: Boolean!) "
        f"{{ updateOrganization(orgId: $o, name: $n, addUsers: $add, removeUsers: $rm, changeRoles: $ch, "
        f"delete: $d) {STATUS} }}",
        (
            lambda a, b: {"o": b.id, "n": "pwned", "d": False},
            lambda a, b: {"o": b.id, "add": [{"email": a.owner.email, "role": "OWNER"}], "d": False},
            lambda a, b: {"o": b.id, "rm": [b.owner.user_id], "d": False},
            lambda a, b: {"o": b.id, "ch": [{"userId": b.user.user_id, "role": "OWNER"}], "d": False},
            lambda a, b: {"o": b.id, "d": True},
        ),
        owner_only=True,
    ),
    Op(
        "createApplication",
        'mutation($o: ID!) { createApplication(name: "Evil", platform: "analytics.js", orgId: $o) '
        f"{STATUS} }}",
        (lambda a, b: {"o": b.id},),
    ),
    Op(
        "updateApplication",
        f'mutation($i: ID!) {{ updateApplication(id: $i, name: "pwned", enabled: false) {STATUS} }}',
        (lambda a, b: {"i": b.app_id},),
    ),
    Op(
        "deleteApplication",
        f"mutation($i: ID!) {{ deleteApplication(id: $i) {STATUS} }}",
        (lambda a, b: {"i": b.app_id},),
    ),
    Op(
        "createConnection",
        f"""mutation($o: ID!) {{ createConnection(integrationCode: "webhooks", name: "Evil", orgId: $o,
            connectionPrototypeId: "webhooks-v1",
            details: {{webhookUrl: "https://evil.example.com"}}) {STATUS} }}""",
        (lambda a, b: {"o": b.id},),
    ),
    Op(
        "updateConnection",
        f"""mutation($i: ID!) {{ updateConnection(id: $i,
            details: {{webhookUrl: "https://evil.example.com", sharedSecret: "********"}}) {STATUS} }}""",
        (lambda a, b: {"i": b.connection_id},),
    ),
    Op(
        "deleteConnection",
        f"mutation($i: ID!) {{ deleteConnection(id: $i) {STATUS} }}",
        (lambda a, b: {"i": b.connection_id},),
    ),
    Op(
        "createIntegration",
        f"""mutation($a: ID!, $c: ID!) {{ createIntegration(appId: $a, integrationCode: "webhooks",
            configPayload: {{}}, connectionId: $c, name: "Evil") {STATUS} }}""",
        (
            lambda a, b: {"a": b.app_id, "c": a.connection_id},
            lambda a, b: {"a": a.app_id, "c": b.connection_id},  # borrowing B's credentials
        ),
    ),
    Op(
        "updateIntegration",
        f"mutation($i: ID!) {{ updateIntegration(id: $i, enabled: false, configPayload: {{}}) {STATUS} }}",
        (lambda a, b: {"i": b.integration_id},),
    ),
    Op(
        "deleteIntegration",
        f"mutation($i: ID!) {{ deleteIntegration(id: $i) {STATUS} }}",
        (lambda a, b: {"i": b.integration_id},),
    ),
    Op(
        "replayDeadLetters",
        "mutation($i: ID!, $m: [String!]) { replayDeadLetters(integrationId: $i, messageIds: $m) "
        "{ success message code id count } }",
        (lambda a, b: {"i": b.integration_id}, lambda a, b: {"i": b.integration_id, "m": ["msg-B-marker"]}),
    ),
    Op(
        "createApiKey",
        'mutation($o: ID!) { createApiKey(orgId: $o, name: "Evil", role: OWNER) '
        "{ success message code id key } }",
        (lambda a, b: {"o": b.id},),
        owner_only=True,
    ),
    Op(
        "revokeApiKey",
        f"mutation($i: ID!) {{ revokeApiKey(id: $i) {STATUS} }}",
        (lambda a, b: {"i": b.api_key_id},),
        owner_only=True,
    ),
]


@dataclass
class World:
    """Two organizations on one Houston app."""

    api: Api
    settings: Settings
    a: OrgWorld
    b: OrgWorld


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Built once per module and backend: every operation must leave it unchanged."""
    home: Path = tmp_path_factory.mktemp("isolation")
    url = f"sqlite:///{home / 'control.db'}"
    if request.param == "postgres":
        url = _fresh_pg_database(request.getfixturevalue("pg_server_url"))
    settings = Settings(home=home, database_url=url, secret_key="isolation-secret-" + "y" * 32)
    upgrade(get_engine(settings))
    a, b = build_org(settings, "A"), build_org(settings, "B")
    with TestClient(create_app(settings)) as client:
        yield World(Api(client), settings, a, b)


def _personas(w: World) -> dict[str, dict[str, str | None]]:
    return {
        "owner of A, header A": {"token": w.a.owner.token, "org": w.a.id},
        "owner of A, header B": {"token": w.a.owner.token, "org": w.b.id},
        "user of A, header A": {"token": w.a.user.token, "org": w.a.id},
        "user of A, header B": {"token": w.a.user.token, "org": w.b.id},
        "API key of A": {"token": w.a.api_key, "org": None},
        "API key of A, header B": {"token": f"Bearer {w.a.api_key}", "org": w.b.id},
        "anonymous": {"token": None, "org": w.b.id},
    }


def _assert_refused_or_harmless(op: Op, body: dict[str, Any], who: str) -> None:
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code") in REFUSALS, (who, body)
    value = (body.get("data") or {}).get(op.field)
    if isinstance(value, dict) and "success" in value and not op.harmless:
        assert value["success"] is False and value["code"] in REFUSALS, (who, body)


def test_operation_list_covers_the_whole_schema(world: World) -> None:
    result = build_schema(world.settings).execute_sync(
        "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"
    )
    assert result.data is not None
    schema_fields = {f["name"] for t in result.data["__schema"].values() for f in t["fields"]}
    assert {op.field for op in OPS} == schema_fields


@pytest.mark.parametrize("op", OPS, ids=[op.field for op in OPS])
def test_outsiders_get_nothing_and_change_nothing(world: World, op: Op) -> None:
    engine = get_engine(world.settings)
    before = snapshot(engine, world.b)
    for who, auth in _personas(world).items():
        for variables in op.variants:
            body = world.api.raw(op.document, variables(world.a, world.b), **auth)
            assert leaked(body, world.b) == set(), (who, body)
            _assert_refused_or_harmless(op, body, who)
            assert snapshot(engine, world.b) == before, (who, op.field)


@pytest.mark.parametrize("op", [op for op in OPS if op.owner_only], ids=lambda op: op.field)
def test_a_user_of_the_org_is_refused_owner_operations(world: World, op: Op) -> None:
    engine = get_engine(world.settings)
    before = snapshot(engine, world.b)
    secrets = {world.b.secret, world.b.api_key, "https://B.example.com/hook"}
    for variables in op.variants:
        body = world.api.raw(
            op.document, variables(world.a, world.b), token=world.b.user.token, org=world.b.id
        )
        codes = [e["extensions"]["code"] for e in body.get("errors") or []]
        value = (body.get("data") or {}).get(op.field)
        if isinstance(value, dict):
            codes.append(value["code"])
        assert codes == ["NOT_AN_OWNER"], body
        assert not any(s in str(body) for s in secrets), body
        assert snapshot(engine, world.b) == before


# --- Re-pointing a connection never carries its stored secrets (docs/houston.md, "Connections") ---

UPDATE_CONNECTION = f"mutation($i: ID!, $d: JSON!) {{ updateConnection(id: $i, details: $d) {STATUS} }}"
CREATE_CONNECTION = (
    "mutation($c: String!, $d: JSON!, $o: ID!, $p: String!) { createConnection(integrationCode: $c, "
    f'details: $d, name: "Routing case", orgId: $o, connectionPrototypeId: $p) {STATUS} }}'
)


@dataclass(frozen=True)
class RoutingCase:
    """A connection of one catalog entry whose routing field ``field`` an attacker re-points."""

    code: str
    prototype_id: str
    details: dict[str, Any]
    field: str
    evil: Any
    secrets: tuple[str, ...]  # the secret fields set in ``details``, other than ``field``


def _sample(field: Field, code: str) -> Any:
    marker = f"SECRET-{code}-{field.property_name}"
    if field.field_type == "map":
        return {"Authorization": f"Bearer {marker}"}
    if field.field_type == "json":
        return {"private_key": marker}
    if field.secret:
        return marker
    samples = {"number": 5439, "boolean": True, "array": ["suite-1"], "input": f"{field.property_name}-value"}
    return field.options[0] if field.field_type == "select" else samples[field.field_type]


def _evil(field: Field) -> Any:
    if field.field_type == "select":
        return field.options[-1]
    if field.field_type == "number":
        return 6666
    if field.secret:  # a URL that carries its own password (Postgres `url`)
        return "postgresql://mallory:own-password@evil.example.com:5432/loot"
    return "https://evil.example.com/steal"


def routing_cases() -> list[RoutingCase]:
    """Every routing field of every active catalog entry, in each alternative field set: read from the
    catalog's ``routing`` flags, so a new destination is covered without editing this list."""
    cases = []
    for dest in load_catalog().all():
        if dest.status != "active" or not dest.routing_connection_fields():
            continue
        grouped = {n for group in dest.connection_one_of for n in group}
        for group in dest.connection_one_of or ((),):
            fields = [
                f
                for f in dest.connection_fields
                if f.property_name in group or f.property_name not in grouped
            ]
            details = {f.property_name: _sample(f, dest.code) for f in fields}
            for f in fields:
                if not f.routing or (f.field_type == "select" and len(f.options) < 2):
                    continue
                secrets = tuple(sorted(s.property_name for s in fields if s.secret and s is not f))
                cases.append(
                    RoutingCase(
                        dest.code, dest.connection_prototype_id, details, f.property_name, _evil(f), secrets
                    )
                )
    return cases


def _stored_details(world: World, connection_id: str) -> dict[str, Any]:
    with session_scope(get_engine(world.settings)) as session:
        row = session.get(Connection, connection_id)
        assert row is not None
        return decrypt_details(world.settings, row.details_encrypted)


def test_every_routing_field_of_the_catalog_is_covered() -> None:
    covered = {(case.code, case.field) for case in routing_cases()}
    expected = {
        (d.code, name)
        for d in load_catalog().all()
        if d.status == "active"
        for name in d.routing_connection_fields()
    }
    assert covered == expected
    must = {
        ("webhooks", "webhookUrl"),
        ("postgres", "url"),
        ("postgres", "host"),
        ("amazon_redshift", "host"),
        ("amazon_kinesis", "endpointUrl"),
        ("s3_event_logs", "endpointUrl"),
        ("bloomreach", "apiBaseUrl"),
    }
    assert must <= covered


@pytest.mark.parametrize("case", routing_cases(), ids=lambda c: f"{c.code}.{c.field}")
def test_re_pointing_a_connection_needs_every_secret_again(world: World, case: RoutingCase) -> None:
    b = world.b
    created = world.api.one(
        CREATE_CONNECTION,
        {"c": case.code, "d": case.details, "o": b.id, "p": case.prototype_id},
        token=b.owner.token,
        org=b.id,
    )
    assert created["success"], created
    connection_id = created["id"]
    engine = get_engine(world.settings)
    stored_secrets = {s: case.details[s] for s in case.secrets}
    for who in (b.user, b.owner):  # a User can write connections; the rule binds Owners too
        attack = {**case.details, case.field: case.evil, **dict.fromkeys(case.secrets, REDACTED)}
        before = snapshot(engine, b)
        body = world.api.raw(UPDATE_CONNECTION, {"i": connection_id, "d": attack}, token=who.token, org=b.id)
        value = body["data"]["updateConnection"]
        if case.secrets:
            assert (value["success"], value["code"]) == (False, "INVALID_INPUT"), body
            assert case.field in value["message"] and all(s in value["message"] for s in case.secrets)
            assert snapshot(engine, b) == before
            assert _stored_details(world, connection_id) == case.details
        else:  # nothing secret to carry: the change is just a change
            assert value["success"], body
        assert not any(str(secret) in json.dumps(body) for secret in stored_secrets.values())
    # Re-entering the secrets (here: new ones) is how a re-pointed connection gets credentials.
    fields = {f.property_name: f for f in load_catalog().get(case.code).connection_fields}
    fresh = {s: _sample(fields[s], "fresh") for s in case.secrets}
    repointed = {**case.details, case.field: case.evil, **fresh}
    body = world.api.raw(
        UPDATE_CONNECTION, {"i": connection_id, "d": repointed}, token=b.user.token, org=b.id
    )
    assert body["data"]["updateConnection"]["success"], body
    assert _stored_details(world, connection_id) == repointed
    # The route unchanged, "********" still keeps the stored secrets.
    same_route = {**repointed, **dict.fromkeys(case.secrets, REDACTED)}
    body = world.api.raw(
        UPDATE_CONNECTION, {"i": connection_id, "d": same_route}, token=b.user.token, org=b.id
    )
    assert body["data"]["updateConnection"]["success"], body
    assert _stored_details(world, connection_id) == repointed

"""``eventyard bootstrap``, the ASGI entry point, health, and the schema's safety switches."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from eventyard.cli import app as cli
from eventyard.db.models import Role
from eventyard.houston.app import create_app
from eventyard.houston.services import sources
from eventyard.settings import Settings, get_settings
from tests.houston.conftest import Api, make_account, make_org

ARGS = [
    "bootstrap",
    "--email",
    "Founder@Example.com",
    "--password",
    "founder password",
    "--org",
    "Acme",
    "--source",
    "Website",
]


def test_bootstrap_prints_a_working_token_and_ids(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ARGS)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= {"token", "orgId", "sourceId", "userId", "writeKey"}
    assert len(out["sourceId"]) == 21 and out["writeKey"] == out["sourceId"]
    with TestClient(create_app(get_settings())) as client:
        api = Api(client)
        apps = api.one("{ applications { id platform } }", token=out["token"], org=out["orgId"])
        assert apps == [{"id": out["sourceId"], "platform": "analytics.js"}]
        login = api.one(
            'mutation { createToken(username: "founder@example.com", password: "founder password") '
            "{ success } }"
        )
        assert login["success"]  # created already confirmed

    again = CliRunner().invoke(cli, ARGS)
    assert again.exit_code == 2 and "already exists" in again.stderr
    bad = CliRunner().invoke(
        cli,
        [
            "bootstrap",
            "--email",
            "x@example.com",
            "--password",
            "password-1",
            "--org",
            "B",
            "--source",
            "Phone",
            "--platform",
            "nokia",
        ],
    )
    assert bad.exit_code == 2 and "platform" in bad.stderr


def test_asgi_entry_point_imports_without_a_database(
    state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unreachable database: building the app must not connect (workers connect on first request).
    monkeypatch.setenv("EVENTYARD_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    sys.modules.pop("api.houston", None)
    module = importlib.import_module("api.houston")
    with TestClient(module.app) as client:
        health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"


def test_health_and_explorer_on_by_default(sqlite_settings: Settings) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "isHeadersEditorEnabled: true" in page.text


def test_explorer_and_introspection_switch_off(sqlite_settings: Settings) -> None:
    locked = sqlite_settings.model_copy(update={"graphql_explorer": False, "graphql_introspection": False})
    with TestClient(create_app(locked)) as client:
        api = Api(client)
        assert client.get("/graphql", headers={"accept": "text/html"}).status_code != 200
        body = api.raw("{ __schema { types { name } } }")
        assert body["errors"] and "introspection" in body["errors"][0]["message"].lower()
        # Ordinary operations still work.
        assert (
            api.raw('{ clickstreamPrototypes(integrationCode: "webhooks") { name } }')["errors"][0][
                "extensions"
            ]["code"]
            == "UNAUTHENTICATED"
        )


def test_depth_token_and_alias_limits(sqlite_settings: Settings) -> None:
    tight = sqlite_settings.model_copy(
        update={"graphql_max_depth": 1, "graphql_max_aliases": 3, "graphql_max_tokens": 60}
    )
    owner = make_account(sqlite_settings, "owner@example.com")
    make_org(sqlite_settings, "Acme", {owner.user_id: Role.OWNER})
    with TestClient(create_app(tight)) as client:
        api = Api(client)
        assert api.data("{ organizations { name } }", token=owner.token)
        deep = api.raw("{ organizations { members { email } } }", token=owner.token)
        assert "exceeds maximum operation depth" in deep["errors"][0]["message"]
        aliases = api.raw("{ a: me { id } b: me { id } c: me { id } d: me { id } }", token=owner.token)
        assert "aliases" in aliases["errors"][0]["message"].lower()
        tokens = api.raw("{ " + " ".join("me { id email }" for _ in range(20)) + " }", token=owner.token)
        assert "token" in tokens["errors"][0]["message"].lower()


def test_unexpected_errors_are_masked(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = make_account(sqlite_settings, "owner@example.com")
    org = make_org(sqlite_settings, "Acme", {owner.user_id: Role.OWNER})
    api = Api(TestClient(create_app(sqlite_settings)))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(sources, "create_application", broken)
    monkeypatch.setattr(sources, "list_applications", broken)
    for doc in [
        'mutation($o: ID!) { createApplication(name: "A", platform: "server", orgId: $o) { success } }',
        "{ applications { id } }",
    ]:
        body = api.raw(doc, {"o": org} if "$o" in doc else None, token=owner.token, org=org)
        assert body["errors"] == [
            {**body["errors"][0], "message": "Unexpected error.", "extensions": {"code": "INTERNAL_ERROR"}}
        ]
        assert "hunter2" not in json.dumps(body)


def test_oversized_request_bodies_are_refused_before_parsing(sqlite_settings: Settings) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        huge = '{"query": "{ me { id } }", "variables": {"x": "' + "y" * (2 * 1024 * 1024) + '"}}'
        declared = client.post("/graphql", content=huge, headers={"content-type": "application/json"})
        assert (
            declared.status_code == 413
            and declared.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        )
        streamed = client.post(
            "/graphql",
            content=iter([huge.encode()[i : i + 65536] for i in range(0, len(huge), 65536)]),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert client.get("/account/confirm?token=x").headers["referrer-policy"] == "no-referrer"


MISTAKES = {  # a typo of every kind graphql-core would answer with "Did you mean ...?"
    "field": ("{ connectio { id } }", None),
    "argument": ("{ connections(orgid: null) { id } }", None),
    "type": ("query($x: Strin) { me { id } }", None),
    "enum value": ('mutation { createApiKey(orgId: "o", name: "k", role: OWNR) { success } }', None),
    "input field": ('mutation { updateUser(profile: {firstNam: "x"}) { success } }', None),
    "variable": (
        "mutation($p: ProfileInput!) { updateUser(profile: $p) { success } }",
        {"p": {"firstNam": "x"}},
    ),
}


@pytest.mark.parametrize("introspection", [True, False])
def test_field_suggestions_leak_nothing_when_introspection_is_off(
    sqlite_settings: Settings, introspection: bool
) -> None:
    app = create_app(sqlite_settings.model_copy(update={"graphql_introspection": introspection}))
    with TestClient(app) as client:
        api = Api(client)
        for kind, (document, variables) in MISTAKES.items():
            body = api.raw(document, variables)
            messages = " ".join(e["message"] for e in body["errors"])
            assert ("Did you mean" in messages) is introspection, (kind, messages)
            for secret in ("connections", "orgId", "String", "OWNER", "firstName"):
                if not introspection and secret not in document:
                    assert secret not in messages, (kind, messages)


def test_bad_requests_are_400_or_warnings_never_500s_or_errors(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    tight = sqlite_settings.model_copy(update={"graphql_max_tokens": 60})
    with TestClient(create_app(tight), raise_server_exceptions=False) as client:
        caplog.set_level("DEBUG")
        deep = '{"query": "{ me { id } }", "variables": {"v": ' + "[" * 1500 + "]" * 1500 + "}}"
        for body in (deep, '{"query": "{ me { id } }", "variables": {"v": ' + "[" * 65 + "]" * 65 + "}}"):
            response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
            assert (response.status_code, response.text) == (400, "JSON nested deeper than 64 levels")
        as_query = client.get(
            "/graphql", params={"query": "{ me { id } }", "variables": "[" * 1500 + "]" * 1500}
        )
        assert as_query.status_code == 400
        shallow = {"query": "{ me { id } }", "variables": {"v": [[[[1]]]]}}
        assert client.post("/graphql", json=shallow).status_code == 200
        tokens = client.post("/graphql", json={"query": "{ " + "me { id } " * 40 + "}"})
        assert "more than 60 tokens" in tokens.json()["errors"][0]["message"]
        assert client.post("/graphql", json={"query": "{ me { "}).json()["errors"]
    levels = {
        (r.levelname, r.getMessage().split(":")[0])
        for r in caplog.records
        if r.name.startswith(("eventyard", "strawberry"))
    }
    assert ("WARNING", "GraphQL request refused") in levels
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")], caplog.text

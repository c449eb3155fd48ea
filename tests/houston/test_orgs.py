"""Organizations and roles: auto-signup invitations, the last Owner, deletion, what Users may see."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from eventyard.db.engine import get_engine
from eventyard.db.models import Connection, Role
from eventyard.settings import Settings
from tests.houston.conftest import Api, link_token, make_account, make_org, outbox_links

STATUS = "{ success message code id }"
UPDATE_ORG = (
    "mutation($o: ID!, $n: String, $add: [AddUserInput!], $rm: [ID!], $ch: [ChangeRoleInput!], "
    "$d: Boolean! = false) { updateOrganization(orgId: $o, name: $n, addUsers: $add, removeUsers: $rm, "
    f"changeRoles: $ch, delete: $d) "
    f"{STATUS} }}"
)
MEMBERS = "query($o: ID) { organizations(orgId: $o) { name members { userId email role confirmed } } }"


def test_adding_an_unknown_email_signs_it_up_and_invites_it(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    added = api.one(
        UPDATE_ORG,
        {"o": org, "add": [{"email": "New.Person@Example.com", "role": "USER"}]},
        token=owner.token,
        org=org,
    )
    assert added["success"], added
    (listed,) = api.one(MEMBERS, {"o": org}, token=owner.token)
    assert [(m["email"], m["role"], m["confirmed"]) for m in listed["members"]] == [
        ("owner@example.com", "OWNER", True),
        ("new.person@example.com", "USER", False),
    ]
    (link,) = outbox_links(settings, "new.person@example.com", "invite")

    # The link opens a password form; posting it sets the password and confirms the account.
    page = api.client.get(f"{urlsplit(link).path}?{urlsplit(link).query}")
    assert page.status_code == 200 and "type='password'" in page.text
    too_short = api.client.post(urlsplit(link).path, data={"token": link_token(link), "password": "short"})
    assert too_short.status_code == 400 and "at least 8" in too_short.text
    accepted = api.client.post(
        urlsplit(link).path, data={"token": link_token(link), "password": "invitee password"}
    )
    assert accepted.status_code == 200, accepted.text

    login = api.one(
        'mutation { createToken(username: "new.person@example.com", password: "invitee password") '
        "{ success token } }"
    )
    assert login["success"]
    (seen,) = api.one("{ organizations { name role } }", token=login["token"])
    assert seen == {"name": "Acme", "role": "USER"}
    again = api.one(
        UPDATE_ORG,
        {"o": org, "add": [{"email": "new.person@example.com", "role": "USER"}]},
        token=owner.token,
        org=org,
    )
    assert again["code"] == "CONFLICT"


def test_accept_invitation_mutation_logs_the_invitee_in(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    api.one(
        UPDATE_ORG,
        {"o": org, "add": [{"email": "invitee@example.com", "role": "OWNER"}]},
        token=owner.token,
        org=org,
    )
    (link,) = outbox_links(settings, "invitee@example.com", "invite")
    accept = (
        'mutation($t: String!) { acceptInvitation(token: $t, password: "12345678") { success code token } }'
    )
    result = api.one(accept, {"t": link_token(link)})
    assert result["success"] and result["token"]
    assert api.one("{ me { email confirmed } }", token=result["token"]) == [
        {"email": "invitee@example.com", "confirmed": True}
    ]
    assert api.one(accept, {"t": link_token(link)})["code"] == "INVALID_LINK"


def test_an_organization_always_keeps_an_owner(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    member = make_account(settings, "member@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER, member.user_id: Role.USER})
    auth = {"token": owner.token, "org": org}
    before = api.one(MEMBERS, {"o": org}, token=owner.token)
    # Renaming and removing the only Owner in one call: neither applies.
    refused = api.one(UPDATE_ORG, {"o": org, "n": "Renamed", "rm": [owner.user_id]}, **auth)
    assert refused["code"] == "LAST_OWNER"
    demote = api.one(UPDATE_ORG, {"o": org, "ch": [{"userId": owner.user_id, "role": "USER"}]}, **auth)
    assert demote["code"] == "LAST_OWNER"
    assert api.one(MEMBERS, {"o": org}, token=owner.token) == before

    hand_over = api.one(
        UPDATE_ORG,
        {"o": org, "ch": [{"userId": member.user_id, "role": "OWNER"}], "rm": [owner.user_id]},
        **auth,
    )
    assert hand_over["success"], hand_over
    assert api.one("{ organizations { id } }", token=owner.token) == []
    (after,) = api.one(MEMBERS, {"o": org}, token=member.token)
    assert [(m["email"], m["role"]) for m in after["members"]] == [("member@example.com", "OWNER")]


def test_deleting_an_organization_removes_its_pipelines(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    auth = {"token": owner.token, "org": org}
    app_id = api.one(
        f'mutation($o: ID!) {{ createApplication(name: "A", platform: "server", orgId: $o) {STATUS} }}',
        {"o": org},
        **auth,
    )["id"]
    conn_id = api.one(
        f"""mutation($o: ID!) {{ createConnection(integrationCode: "webhooks", name: "H", orgId: $o,
            connectionPrototypeId: "webhooks-v1",
            details: {{webhookUrl: "https://x.example.com"}}) {STATUS} }}""",
        {"o": org},
        **auth,
    )["id"]
    assert api.one(
        f"""mutation($a: ID!, $c: ID!) {{ createIntegration(appId: $a, integrationCode: "webhooks",
            configPayload: {{}}, connectionId: $c, name: "I") {STATUS} }}""",
        {"a": app_id, "c": conn_id},
        **auth,
    )["success"]
    combined = api.one(UPDATE_ORG, {"o": org, "n": "x", "d": True}, **auth)
    assert combined["code"] == "INVALID_INPUT" and combined["message"].startswith("delete:")
    assert api.one(UPDATE_ORG, {"o": org, "d": True}, **auth)["success"]
    assert api.one("{ organizations { id } }", token=owner.token) == []
    with get_engine(settings).connect() as conn:
        assert conn.execute(select(Connection.id)).all() == []


def test_users_write_pipelines_but_never_read_connection_contents(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    member = make_account(settings, "member@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER, member.user_id: Role.USER})
    as_user = {"token": member.token, "org": org}
    created = api.one(
        f"""mutation($o: ID!) {{ createConnection(integrationCode: "webhooks", name: "H", orgId: $o,
            connectionPrototypeId: "webhooks-v1",
            details: {{webhookUrl: "https://x.example.com", sharedSecret: "hush-hush-123"}}) {STATUS} }}""",
        {"o": org},
        **as_user,
    )
    assert created["success"], created
    query = "query($s: Boolean!) { connections(includeSecrets: $s) { name details fieldNames } }"
    assert api.one(query, {"s": False}, **as_user) == [
        {"name": "H", "details": None, "fieldNames": ["sharedSecret", "webhookUrl"]}
    ]
    refused = api.raw(query, {"s": True}, **as_user)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_AN_OWNER" and "hush" not in str(refused)
    as_owner = {"token": owner.token, "org": org}
    assert api.one(query, {"s": False}, **as_owner)[0]["details"] == {
        "webhookUrl": "https://x.example.com",
        "sharedSecret": "********",
    }
    assert api.one(query, {"s": True}, **as_owner)[0]["details"]["sharedSecret"] == "hush-hush-123"
    # Users cannot change anyone's access.
    change = api.one(UPDATE_ORG, {"o": org, "ch": [{"userId": member.user_id, "role": "OWNER"}]}, **as_user)
    assert change["code"] == "NOT_AN_OWNER"
    # Encrypted at rest: the secret is not in the stored bytes.
    with get_engine(settings).connect() as conn:
        (stored,) = conn.execute(select(Connection.details_encrypted)).scalars().all()
    assert b"hush-hush-123" not in stored and b"x.example.com" not in stored

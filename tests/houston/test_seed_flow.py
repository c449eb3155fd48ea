"""The seed document's whole flow over HTTP, then the create-and-update pattern for the rest."""

from __future__ import annotations

from urllib.parse import urlsplit

from eventyard.ids import URL_SAFE_ALPHABET
from eventyard.settings import Settings
from tests.houston.conftest import PASSWORD, Api, make_account, make_org, outbox_links

SIGN_UP = """
mutation($p: String!) {
  createNewUser(email: "someone.new@example.com", password: $p,
                profile: {firstName: "Someone", lastName: "New", company: "My Company"}) {
    success message token decoded { id }
  }
}"""
LOGIN = """
mutation($u: String!, $p: String!) {
  createToken(username: $u, password: $p) { success message code token decoded { id } }
}"""


def test_seed_flow_from_sign_up_to_integration(api: Api, settings: Settings) -> None:
    signed_up = api.one(SIGN_UP, {"p": PASSWORD})
    assert signed_up["success"] and signed_up["token"] is None and signed_up["decoded"] is None

    # No login before the emailed link is followed.
    early = api.one(LOGIN, {"u": "someone.new@example.com", "p": PASSWORD})
    assert (early["success"], early["code"], early["token"]) == (False, "EMAIL_NOT_CONFIRMED", None)

    (link,) = outbox_links(settings, "someone.new@example.com", "confirm_email")
    parts = urlsplit(link)
    assert api.client.get(f"{parts.path}?{parts.query}").status_code == 200

    login = api.one(LOGIN, {"u": "someone.new@example.com", "p": PASSWORD})
    assert login["success"] and login["code"] == "OK"
    token, user_id = login["token"], login["decoded"]["id"]

    org = api.one(
        'mutation($u: ID!) { createOrganization(name: "Human-friendly Org", userId: $u) { success id } }',
        {"u": user_id},
        token=token,
    )
    assert org["success"], org
    org_id = org["id"]

    app = api.one(
        """mutation($o: ID!) { createApplication(name: "Human-friendly Source Name", platform: "analytics.js",
           orgId: $o) { success message id code } }""",
        {"o": org_id},
        token=f"Bearer {token}",
        org=org_id,
    )
    assert app["success"] and len(app["id"]) == 21 and set(app["id"]) <= set(URL_SAFE_ALPHABET)

    (proto,) = api.one(
        """{ clickstreamPrototypes(integrationCode: "acquisio") { integrationCode name kind
             support { client server mobile } deliverySupport { client server mobile } serverApi
             status statusReason description
             connectionPrototype { id fields { ...F } } configPrototype { fields { ...F } } } }
           fragment F on PrototypeField { propertyName label fieldType required secret default options }""",
        token=token,
    )
    assert proto["support"] == {"client": True, "server": False, "mobile": False}
    # The matrix row stays MetaRouter's; Eventyard also delivers server events through TTD's API.
    assert proto["deliverySupport"] == {"client": True, "server": True, "mobile": False}
    assert proto["serverApi"] == "The Trade Desk Real-Time Conversions API"
    assert [f["propertyName"] for f in proto["connectionPrototype"]["fields"]] == ["advertiserId"]

    connection = api.one(
        """mutation($o: ID!, $p: String!) { createConnection(integrationCode: "acquisio",
             details: { advertiserId: "123" }, name: "Friendly Connection Name", orgId: $o,
             connectionPrototypeId: $p) { success message id code } }""",
        {"o": org_id, "p": proto["connectionPrototype"]["id"]},
        token=token,
        org=org_id,
    )
    assert connection["success"], connection

    integration = api.one(
        """mutation($a: ID!, $c: ID!) { createIntegration(appId: $a, integrationCode: "acquisio",
             configPayload: { eventAllowList: ["fvsbvsdfbsdfb"] }, connectionId: $c,
             name: "Friendly Application Name") { success message id code } }""",
        {"a": app["id"], "c": connection["id"]},
        token=token,
        org=org_id,
    )
    assert integration["success"], integration

    lists = api.data(
        """{ me { id email firstName company confirmed }
             organizations { id name role members { userId email role } }
             applications { id name platform enabled writeKey }
             connections { id name integrationCode details fieldNames }
             integrations { id appId connectionId integrationCode configPayload enabled } }""",
        token=token,
        org=org_id,
    )
    assert lists["me"] == [
        {
            "id": user_id,
            "email": "someone.new@example.com",
            "firstName": "Someone",
            "company": "My Company",
            "confirmed": True,
        }
    ]
    assert lists["organizations"][0]["members"] == [
        {"userId": user_id, "email": "someone.new@example.com", "role": "OWNER"}
    ]
    assert lists["applications"][0]["writeKey"] == app["id"]
    assert lists["connections"][0]["details"] == {"advertiserId": "123"}
    assert lists["integrations"] == [
        {
            "id": integration["id"],
            "appId": app["id"],
            "connectionId": connection["id"],
            "integrationCode": "acquisio",
            "configPayload": {"eventAllowList": ["fvsbvsdfbsdfb"]},
            "enabled": True,
        }
    ]
    # Queries answer lists even when filtered to one object.
    by_id = api.one("query($o: ID) { organizations(orgId: $o) { id } }", {"o": org_id}, token=token)
    assert by_id == [{"id": org_id}]


def test_update_and_delete_follow_the_create_and_update_pattern(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: "OWNER"})  # type: ignore[dict-item]
    auth = {"token": owner.token, "org": org}
    app_id = api.one(
        'mutation($o: ID!) { createApplication(name: "App", platform: "server", orgId: $o) { id } }',
        {"o": org},
        **auth,
    )["id"]
    conn_id = api.one(
        """mutation($o: ID!) { createConnection(integrationCode: "webhooks", name: "Hook", orgId: $o,
             connectionPrototypeId: "webhooks-v1",
             details: {webhookUrl: "https://hooks.example.com/in", sharedSecret: "s3cret"}) { id } }""",
        {"o": org},
        **auth,
    )["id"]
    integ_id = api.one(
        """mutation($a: ID!, $c: ID!) { createIntegration(appId: $a, integrationCode: "webhooks",
             connectionId: $c, name: "Hook it", configPayload: {batchSize: 10}) { id } }""",
        {"a": app_id, "c": conn_id},
        **auth,
    )["id"]

    ok = "{ success code message }"
    assert api.one(
        f'mutation($i: ID!) {{ updateApplication(id: $i, name: "App 2", enabled: false) {ok} }}',
        {"i": app_id},
        **auth,
    )["success"]
    assert api.one(
        f"""mutation($i: ID!) {{ updateIntegration(id: $i, enabled: false,
              configPayload: {{batchSize: 5}}) {ok} }}""",
        {"i": integ_id},
        **auth,
    )["success"]
    # Sending back the redacted secret keeps it; only the URL changes.
    assert api.one(
        f"""mutation($i: ID!) {{ updateConnection(id: $i, name: "Hook 2",
             details: {{webhookUrl: "https://hooks.example.com/v2", sharedSecret: "********"}}) {ok} }}""",
        {"i": conn_id},
        **auth,
    )["success"]
    state = api.data(
        """{ applications { name enabled } integrations { enabled configPayload }
             connections(includeSecrets: true) { name details } }""",
        **auth,
    )
    assert state["applications"] == [{"name": "App 2", "enabled": False}]
    assert state["integrations"] == [{"enabled": False, "configPayload": {"batchSize": 5}}]
    assert state["connections"] == [
        {
            "name": "Hook 2",
            "details": {"webhookUrl": "https://hooks.example.com/v2", "sharedSecret": "s3cret"},
        }
    ]

    in_use = api.one(f"mutation($i: ID!) {{ deleteConnection(id: $i) {ok} }}", {"i": conn_id}, **auth)
    assert (in_use["success"], in_use["code"]) == (False, "IN_USE")
    assert api.one(f"mutation($i: ID!) {{ deleteIntegration(id: $i) {ok} }}", {"i": integ_id}, **auth)[
        "success"
    ]
    assert api.one(f"mutation($i: ID!) {{ deleteConnection(id: $i) {ok} }}", {"i": conn_id}, **auth)[
        "success"
    ]
    assert api.one(f"mutation($i: ID!) {{ deleteApplication(id: $i) {ok} }}", {"i": app_id}, **auth)[
        "success"
    ]
    gone = api.one(f"mutation($i: ID!) {{ deleteApplication(id: $i) {ok} }}", {"i": app_id}, **auth)
    assert gone["code"] == "NOT_FOUND"
    assert api.data("{ applications { id } integrations { id } connections { id } }", **auth) == {
        "applications": [],
        "integrations": [],
        "connections": [],
    }

"""Delivery through Houston: a webhook that rejects everything, the metrics and dead letters a
User sees, the fix, ``replayDeadLetters``, and the next cycle delivering every event once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Batch, Role
from eventyard.destinations.cycle import deliver_once
from eventyard.destinations.models import DeliveryStats
from eventyard.settings import Settings
from tests.destinations.contracts import WEBHOOK_SECRET, WEBHOOK_TOKEN, webhook_contract, webhook_keys
from tests.destinations.pipeline import land, message
from tests.destinations.receivers import Received, Reply, reject, running
from tests.houston.conftest import Account, Api, make_account, make_org

S = "{ success message code id }"
METRICS = """query($i: ID) { deliveryMetrics(integrationId: $i) {
    integrationId integrationCode name enabled delivered retried deadLettered skipped replayed pending
    openDeadLetters lastError lastErrorAt lastDeliveredAt lagSeconds } }"""
LETTERS = """query($i: ID!, $r: Boolean!) { deadLetters(integrationId: $i, includeReplayed: $r) {
    id messageId batchId reason error attempts firstFailedAt failedAt replayedAt } }"""
REPLAY = """mutation($i: ID!, $m: [String!], $s: DateTime) {
    replayDeadLetters(integrationId: $i, messageIds: $m, since: $s) { success message code id count } }"""
KINDS = ("track", "identify", "page", "screen", "group", "alias")
TOKEN_VALUE = WEBHOOK_TOKEN.split()[1]


def _pipeline(api: Api, owner: Account, org_id: str, url: str) -> str:
    """A server source -> webhooks connection -> integration, created through Houston."""
    auth = {"token": owner.token, "org": org_id}
    app = api.one(
        f'mutation($o: ID!) {{ createApplication(name: "api", platform: "server", orgId: $o) {S} }}',
        {"o": org_id},
        **auth,
    )
    details = {"webhookUrl": url, "sharedSecret": WEBHOOK_SECRET, "headers": {"Authorization": WEBHOOK_TOKEN}}
    conn = api.one(
        'mutation($o: ID!, $d: JSON!) { createConnection(integrationCode: "webhooks", details: $d, '
        f'name: "hook", orgId: $o, connectionPrototypeId: "webhooks-v1") {S} }}',
        {"o": org_id, "d": details},
        **auth,
    )
    integ = api.one(
        'mutation($a: ID!, $c: ID!) { createIntegration(appId: $a, integrationCode: "webhooks", '
        f'configPayload: {{enableBatching: true, batchSize: 4}}, connectionId: $c, name: "hook") {S} }}',
        {"a": app["id"], "c": conn["id"]},
        **auth,
    )
    assert app["success"] and conn["success"] and integ["success"], (app, conn, integ)
    return str(integ["id"])


def _land_old_batch(settings: Settings, source_id: str, messages: list[dict[str, Any]]) -> None:
    """Land messages as a batch recorded ten minutes ago (so the lag is known to be >= 600 s)."""
    batch = land(settings, source_id, messages)
    with session_scope(get_engine(settings)) as session:
        ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
        session.execute(update(Batch).where(Batch.id == batch.id).values(created_at=ten_minutes_ago))


def test_dead_letters_are_seen_replayed_and_delivered(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    member = make_account(settings, "user@example.com")
    org_id = make_org(settings, "Acme", {owner.user_id: Role.OWNER, member.user_id: Role.USER})
    as_user = {"token": member.token, "org": org_id}
    broken = [True]

    def receiver_contract(request: Received) -> Reply:
        if broken[0]:  # a schema change on the customer's side, echoing the auth header carelessly
            auth = request.headers.get("authorization")
            reject(400, {"error": f"unknown field 'context'; auth was {auth}"})
        return webhook_contract(request)

    with running(receiver_contract, keys=webhook_keys) as receiver:
        integration_id = _pipeline(api, owner, org_id, f"{receiver.url}/segment")
        (app,) = api.one("{ applications { id } }", token=owner.token, org=org_id)
        messages = [message(KINDS[i % 6], i) for i in range(10)]
        ids = sorted(m["messageId"] for m in messages)
        _land_old_batch(settings, app["id"], messages)

        (before,) = api.one(METRICS, {"i": integration_id}, **as_user)
        assert (before["delivered"], before["deadLettered"], before["lastError"]) == (0, 0, None)
        assert before["lagSeconds"] >= 600 and before["integrationCode"] == "webhooks"

        assert deliver_once(settings).totals()["dead_lettered"] == 10
        (failed,) = api.one(METRICS, {}, **as_user)
        assert failed["integrationId"] == integration_id
        assert (failed["delivered"], failed["deadLettered"], failed["openDeadLetters"]) == (0, 10, 10)
        assert (failed["pending"], failed["lagSeconds"]) == (0, 0)  # the batch is settled: all dead
        assert "HTTP 400" in failed["lastError"] and "unknown field" in failed["lastError"]
        assert TOKEN_VALUE not in failed["lastError"] and "********" in failed["lastError"]

        letters = api.one(LETTERS, {"i": integration_id, "r": False}, **as_user)
        assert sorted(letter["messageId"] for letter in letters) == ids
        assert all(letter["reason"] == "rejected" and letter["attempts"] == 1 for letter in letters)
        assert all(TOKEN_VALUE not in letter["error"] and letter["replayedAt"] is None for letter in letters)

        broken[0] = False  # the customer fixes the endpoint
        picked = api.one(REPLAY, {"i": integration_id, "m": ids[:3]}, **as_user)
        assert picked == {
            "success": True,
            "message": "3 dead letters re-queued",
            "code": "OK",
            "id": integration_id,
            "count": 3,
        }
        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        rest = api.one(REPLAY, {"i": integration_id, "s": an_hour_ago}, **as_user)
        assert (rest["success"], rest["count"], rest["id"]) == (True, 7, integration_id)
        again = api.one(REPLAY, {"i": integration_id}, **as_user)
        assert (again["success"], again["count"], again["message"]) == (
            True,
            0,
            "no open dead letters matched; nothing re-queued",
        )
        assert api.one(LETTERS, {"i": integration_id, "r": False}, **as_user) == []
        history = api.one(LETTERS, {"i": integration_id, "r": True}, **as_user)
        assert len(history) == 10 and all(letter["replayedAt"] for letter in history)
        (queued,) = api.one(METRICS, {"i": integration_id}, **as_user)
        assert (queued["pending"], queued["replayed"], queued["openDeadLetters"]) == (10, 10, 0)

        assert deliver_once(settings).totals()["delivered"] == 10
        assert sorted(receiver.deliveries) == ids and receiver.duplicates() == {}
        # Only the broken endpoint's 400s were refused: signature and auth were right throughout.
        assert receiver.violations and {status for status, _ in receiver.violations} == {400}

    (done,) = api.one(METRICS, {"i": integration_id}, **as_user)
    assert (done["delivered"], done["deadLettered"], done["pending"], done["lagSeconds"]) == (10, 10, 0, 0)
    assert done["lastDeliveredAt"] is not None


def test_houston_redacts_connection_secrets_a_vendor_module_left_in_an_error(
    sqlite_api: Api, sqlite_settings: Settings
) -> None:
    settings = sqlite_settings
    owner = make_account(settings, "owner@example.com")
    org_id = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    integration_id = _pipeline(sqlite_api, owner, org_id, "http://127.0.0.1:9/segment")
    leaky = f"HTTP 401: secret {WEBHOOK_SECRET}, header {WEBHOOK_TOKEN}"
    with session_scope(get_engine(settings)) as session:
        session.add(
            DeliveryStats(
                integration_id=integration_id,
                delivered=2**40,  # past GraphQL's 32-bit Int: the counters are BigInt
                retried=0,
                dead_lettered=0,
                skipped=0,
                replayed=0,
                last_error=leaky,
            )
        )
    (metrics,) = sqlite_api.one(METRICS, {"i": integration_id}, token=owner.token, org=org_id)
    assert metrics["delivered"] == 2**40
    assert WEBHOOK_SECRET not in metrics["lastError"] and TOKEN_VALUE not in metrics["lastError"]
    assert metrics["lastError"] == "HTTP 401: secret ********, header ********"

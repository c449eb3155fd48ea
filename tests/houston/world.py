"""Two organizations with full pipelines, built once per module, for the isolation suite."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from eventyard.crypto import encrypt_details
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import ApiKey, Connection, Integration, Role, Source, utcnow
from eventyard.destinations.models import DeliveryDeadLetter, DeliveryStats
from eventyard.houston import security
from eventyard.settings import Settings
from eventyard.warehouse.quality.models import QualityRun
from tests.houston.conftest import Account, make_account, make_org


@dataclass
class OrgWorld:
    """One organization: an Owner, a User, and a source -> connection -> integration, an API key."""

    name: str
    id: str
    owner: Account
    user: Account
    app_id: str
    connection_id: str
    integration_id: str
    api_key_id: str
    api_key: str
    secret: str
    markers: set[str] = field(default_factory=set)


def build_org(settings: Settings, tag: str) -> OrgWorld:
    """An organization whose every id, name and secret is recorded as a leak marker."""
    owner = make_account(settings, f"owner-{tag}@example.com")
    user = make_account(settings, f"user-{tag}@example.com")
    name = f"Org-{tag}-marker"
    org_id = make_org(settings, name, {owner.user_id: Role.OWNER, user.user_id: Role.USER})
    secret = f"SECRET-{tag}-0123456789"
    key = security.new_api_key()
    with session_scope(get_engine(settings)) as session:
        source = Source(org_id=org_id, name=f"App-{tag}-marker", platform="analytics.js")
        conn = Connection(
            org_id=org_id,
            name=f"Conn-{tag}-marker",
            integration_code="webhooks",
            connection_prototype_id="webhooks-v1",
            details_encrypted=encrypt_details(
                settings, {"webhookUrl": f"https://{tag}.example.com/hook", "sharedSecret": secret}
            ),
        )
        session.add_all([source, conn])
        session.flush()
        integ = Integration(
            org_id=org_id,
            app_id=source.id,
            connection_id=conn.id,
            integration_code="webhooks",
            name=f"Integ-{tag}-marker",
            config={"batchSize": 7},
        )
        api_key = ApiKey(
            org_id=org_id, name=f"Key-{tag}-marker", prefix=key.prefix, key_hash=key.key_hash, role=Role.OWNER
        )
        session.add_all([integ, api_key])
        session.flush()
        # A dead letter and counters, so delivery queries and replay have something to leak or change.
        session.add_all(
            [
                DeliveryDeadLetter(
                    org_id=org_id,
                    integration_id=integ.id,
                    batch_id=f"batch-{tag}-marker",
                    message_id=f"msg-{tag}-marker",
                    message=f'{{"messageId": "msg-{tag}-marker"}}',
                    reason="rejected",
                    error=f"DeadError-{tag}-marker",
                    attempts=1,
                    first_failed_at=utcnow(),
                ),
                DeliveryStats(
                    integration_id=integ.id,
                    delivered=1,
                    retried=0,
                    dead_lettered=1,
                    skipped=0,
                    replayed=0,
                    last_error=f"LastError-{tag}-marker",
                    last_error_at=utcnow(),
                ),
            ]
        )
        # A quality round, so the quality query has something to leak.
        session.add(
            QualityRun(
                integration_id=integ.id, org_id=org_id, run_id=f"run-{tag}-marker", run_at=utcnow(),
                schema_name=f"schema_{tag}_marker", passed=False, failed=1, error=None,
                results=[{"check": "completeness", "table": f"table_{tag}_marker", "observed": 1,
                          "threshold": 0, "passed": False, "detail": f"Quality-{tag}-marker"}],
            )
        )  # fmt: skip
        ids = (source.id, conn.id, integ.id, api_key.id)
    world = OrgWorld(name, org_id, owner, user, *ids, api_key=key.plaintext, secret=secret)
    world.markers = {
        org_id,
        name,
        owner.user_id,
        owner.email,
        user.user_id,
        user.email,
        *ids,
        f"App-{tag}-marker",
        f"Conn-{tag}-marker",
        f"Integ-{tag}-marker",
        f"Key-{tag}-marker",
        f"batch-{tag}-marker",
        f"msg-{tag}-marker",
        f"DeadError-{tag}-marker",
        f"LastError-{tag}-marker",
        f"run-{tag}-marker",
        f"schema_{tag}_marker",
        f"table_{tag}_marker",
        f"Quality-{tag}-marker",
        key.prefix,
        key.plaintext,
        secret,
        f"https://{tag}.example.com/hook",
    }
    return world


def snapshot(engine: Engine, org: OrgWorld) -> dict[str, Any]:
    """Every row that belongs to (or points into) the organization, for before/after comparison."""
    in_org = '"org_id" = :o'
    queries = {
        "organizations": 'SELECT * FROM "organizations" WHERE "id" = :o',
        "memberships": f'SELECT * FROM "memberships" WHERE {in_org} ORDER BY "id"',
        "users": """SELECT "id", "email", "password_hash", "first_name", "last_name", "company",
                    "confirmed_at", "token_version" FROM "users"
                    WHERE "id" IN (:owner, :user) ORDER BY "id\"""",
        "sources": f'SELECT * FROM "sources" WHERE {in_org} ORDER BY "id"',
        "connections": f'SELECT * FROM "connections" WHERE {in_org} ORDER BY "id"',
        "integrations": f"""SELECT * FROM "integrations" WHERE {in_org}
                            OR "app_id" IN (SELECT "id" FROM "sources" WHERE {in_org})
                            OR "connection_id" IN (SELECT "id" FROM "connections" WHERE {in_org})
                            ORDER BY "id\"""",
        "api_keys": f"""SELECT "id", "name", "prefix", "key_hash", "role", "revoked_at" FROM "api_keys"
                        WHERE {in_org} ORDER BY "id\"""",
        "delivery_dead_letters": f'SELECT * FROM "delivery_dead_letters" WHERE {in_org} ORDER BY "id"',
        **{
            table: f"""SELECT * FROM "{table}" WHERE "integration_id" IN
                       (SELECT "id" FROM "integrations" WHERE {in_org}) ORDER BY 1"""
            for table in ("delivery_pending", "delivery_stats", "delivery_ledger")
        },
    }
    params = {"o": org.id, "owner": org.owner.user_id, "user": org.user.user_id}
    with engine.connect() as conn:
        return {
            table: [tuple(str(v) for v in row) for row in conn.execute(text(sql), params)]
            for table, sql in queries.items()
        }


def leaked(response: dict[str, Any], org: OrgWorld) -> set[str]:
    """The organization's markers that appear anywhere in a response."""
    body = json.dumps(response)
    return {marker for marker in org.markers if marker in body}

"""Authentication: token expiry and revocation, API keys, login errors and throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from eventyard.db.engine import get_engine
from eventyard.db.models import Role, User
from eventyard.houston import security
from eventyard.settings import Settings
from tests.houston.conftest import PASSWORD, Api, link_token, make_account, make_org, outbox_links

STATUS = "{ success message code id }"
CREATE_APP = (
    f'mutation($o: ID!) {{ createApplication(name: "Web", platform: "analytics.js", orgId: $o) {STATUS} }}'
)
LOGIN = (
    "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) "
    "{ success message code token } }"
)


def _code(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    (value,) = body["data"].values()
    return str(value["code"])


def test_expired_token_is_distinct_from_not_a_member_and_not_an_owner(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    member = make_account(settings, "member@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER, member.user_id: Role.USER})
    other = make_org(settings, "Other", {})
    day_ago = datetime.now(UTC) - timedelta(hours=settings.jwt_ttl_hours + 1)
    expired = security.issue_token(settings, owner.user_id, 0, now=day_ago)

    assert _code(api.raw(CREATE_APP, {"o": org}, token=expired, org=org)) == "TOKEN_EXPIRED"
    assert _code(api.raw("{ applications { id } }", token=expired, org=org)) == "TOKEN_EXPIRED"
    assert _code(api.raw(CREATE_APP, {"o": other}, token=owner.token, org=other)) == "NOT_A_MEMBER"
    assert _code(api.raw("{ applications { id } }", token=owner.token, org=other)) == "NOT_A_MEMBER"
    create_key = f'mutation($o: ID!) {{ createApiKey(orgId: $o, name: "k", role: USER) {STATUS} }}'
    assert _code(api.raw(create_key, {"o": org}, token=member.token, org=org)) == "NOT_AN_OWNER"
    # A token issued just now still works.
    assert api.one(CREATE_APP, {"o": org}, token=owner.token, org=org)["success"]


def test_bad_credentials_are_unauthenticated(sqlite_api: Api, sqlite_settings: Settings) -> None:
    api, settings = sqlite_api, sqlite_settings
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    other_key = Settings(home=settings.home, database_url=settings.database_url, secret_key="another-key" * 4)
    forged = security.issue_token(other_key, owner.user_id, 0)
    for credential in ["garbage", "Bearer ", "eyk_not-a-key", forged, f"Bearer {forged}", owner.token + "x"]:
        assert _code(api.raw(CREATE_APP, {"o": org}, token=credential, org=org)) == "UNAUTHENTICATED", (
            credential
        )
    assert _code(api.raw(CREATE_APP, {"o": org}, org=org)) == "UNAUTHENTICATED"
    assert _code(api.raw(CREATE_APP, {"o": org}, token=owner.token)) == "ORGANIZATION_REQUIRED"
    assert _code(api.raw("{ applications { id } }", token=owner.token)) == "ORGANIZATION_REQUIRED"


def test_password_change_and_reset_revoke_older_tokens(api: Api, settings: Settings) -> None:
    account = make_account(settings, "someone@example.com")
    me = "{ me { email } }"
    change = api.one(
        'mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "new password 1") '
        "{ success code token } }",
        {"c": PASSWORD},
        token=account.token,
    )
    assert change["success"]
    assert _code(api.raw(me, token=account.token)) == "TOKEN_REVOKED"
    assert api.one(me, token=change["token"]) == [{"email": "someone@example.com"}]

    reset = api.one(f'mutation {{ requestPasswordReset(email: "someone@example.com") {STATUS} }}')
    unknown = api.one(f'mutation {{ requestPasswordReset(email: "nobody@example.com") {STATUS} }}')
    assert reset["message"] == unknown["message"] and reset["success"] and unknown["success"]
    assert outbox_links(settings, "nobody@example.com") == []
    (link,) = outbox_links(settings, "someone@example.com", "reset_password")
    do_reset = (
        'mutation($t: String!) { resetPassword(token: $t, password: "new password 2") '
        "{ success code token } }"
    )
    done = api.one(do_reset, {"t": link_token(link)})
    assert done["success"] and done["token"]
    assert _code(api.raw(me, token=change["token"])) == "TOKEN_REVOKED"
    assert api.one(do_reset, {"t": link_token(link)})["code"] == "INVALID_LINK"  # one use only
    assert api.one(LOGIN, {"u": "someone@example.com", "p": "new password 2"})["success"]


def test_api_keys_stand_in_for_a_jwt_until_revoked(api: Api, settings: Settings) -> None:
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    create = (
        'mutation($o: ID!, $r: Role!) { createApiKey(orgId: $o, name: "partner", role: $r) '
        "{ success code id key } }"
    )
    created = api.one(create, {"o": org, "r": "OWNER"}, token=owner.token, org=org)
    user_key = api.one(create, {"o": org, "r": "USER"}, token=owner.token, org=org)["key"]
    key = created["key"]
    assert created["success"] and key.startswith("eyk_")
    listed = api.one("{ apiKeys { id prefix role revokedAt } }", token=owner.token, org=org)
    assert key not in str(listed) and {k["prefix"] for k in listed} == {key[:12], user_key[:12]}

    # With or without "Bearer", with or without the organization header (the key knows its org).
    assert api.one(CREATE_APP, {"o": org}, token=key)["success"]
    assert api.one(CREATE_APP, {"o": org}, token=f"Bearer {key}", org=org)["success"]
    assert len(api.one("{ applications { id } }", token=key)) == 2
    assert api.one("{ me { id } }", token=key) == []
    assert api.one("{ organizations { id role } }", token=key) == [{"id": org, "role": "OWNER"}]
    assert _code(api.raw(CREATE_APP, {"o": org}, token=key, org="another-org")) == "NOT_A_MEMBER"
    new_org = f'mutation($u: ID!) {{ createOrganization(name: "X", userId: $u) {STATUS} }}'
    assert _code(api.raw(new_org, {"u": owner.user_id}, token=key)) == "USER_SESSION_REQUIRED"
    assert _code(api.raw(create, {"o": org, "r": "OWNER"}, token=user_key)) == "NOT_AN_OWNER"

    revoke = f"mutation($i: ID!) {{ revokeApiKey(id: $i) {STATUS} }}"
    assert api.one(revoke, {"i": created["id"]}, token=owner.token, org=org)["success"]
    assert _code(api.raw(CREATE_APP, {"o": org}, token=key)) == "UNAUTHENTICATED"
    assert api.one(revoke, {"i": created["id"]}, token=owner.token, org=org)["code"] == "CONFLICT"


def test_login_never_reveals_whether_an_email_exists(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(settings, "known@example.com")
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(
        security, "PASSWORD_HASHER", CountingHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    wrong = api.one(LOGIN, {"u": "known@example.com", "p": "wrong password"})
    unknown = api.one(LOGIN, {"u": "unknown@example.com", "p": "wrong password"})
    assert (
        wrong
        == unknown
        == {
            "success": False,
            "message": "invalid email or password",
            "code": "INVALID_CREDENTIALS",
            "token": None,
        }
    )
    # The unknown email still costs one Argon2 verification (of a dummy hash), like a wrong password.
    assert len(verified) == 2

    # Signing up with a taken email answers exactly like a fresh sign-up.
    sign_up = f'mutation($e: String!) {{ createNewUser(email: $e, password: "password-123") {STATUS} }}'
    taken = api.one(sign_up, {"e": "known@example.com"})
    fresh = api.one(sign_up, {"e": "fresh@example.com"})
    assert taken == fresh
    assert outbox_links(settings, "known@example.com") == []  # a notice, not a confirmation link
    with get_engine(settings).connect() as conn:
        assert conn.execute(select(func.count()).select_from(User)).scalar() == 2


def test_repeated_failures_are_throttled_for_known_and_unknown_emails(api: Api, settings: Settings) -> None:
    make_account(settings, "known@example.com")
    for email in ("known@example.com", "unknown@example.com"):
        codes = [
            api.one(LOGIN, {"u": email, "p": "wrong password"})["code"]
            for _ in range(settings.login_max_failures)
        ]
        assert codes == ["INVALID_CREDENTIALS"] * settings.login_max_failures
        assert api.one(LOGIN, {"u": email, "p": PASSWORD})["code"] == "THROTTLED"
    # Other accounts are unaffected.
    make_account(settings, "other@example.com")
    assert api.one(LOGIN, {"u": "other@example.com", "p": PASSWORD})["success"]


def test_signing_up_again_before_confirming_resends_the_link_but_keeps_the_password(
    sqlite_api: Api, sqlite_settings: Settings
) -> None:
    api, settings = sqlite_api, sqlite_settings
    sign_up = f'mutation($p: String!) {{ createNewUser(email: "late@example.com", password: $p) {STATUS} }}'
    assert api.one(sign_up, {"p": "first password"})["success"]
    assert api.one(sign_up, {"p": "attacker password"})["success"]
    _first, second = outbox_links(settings, "late@example.com", "confirm_email")
    assert api.one(
        f"mutation($t: String!) {{ confirmEmail(token: $t) {STATUS} }}", {"t": link_token(second)}
    )["success"]
    assert (
        api.one(LOGIN, {"u": "late@example.com", "p": "attacker password"})["code"] == "INVALID_CREDENTIALS"
    )
    assert api.one(LOGIN, {"u": "late@example.com", "p": "first password"})["success"]


def test_correctly_signed_tokens_living_longer_than_the_ttl_are_refused(
    sqlite_api: Api, sqlite_settings: Settings
) -> None:
    api, settings = sqlite_api, sqlite_settings
    owner = make_account(settings, "owner@example.com")
    org = make_org(settings, "Acme", {owner.user_id: Role.OWNER})
    # Same signing key, longer lifetime: a month-long token, and one issued (and expiring) in the future.
    month = security.issue_token(settings.model_copy(update={"jwt_ttl_hours": 24 * 30}), owner.user_id, 0)
    future = security.issue_token(settings, owner.user_id, 0, now=datetime.now(UTC) + timedelta(days=2))
    for token in (month, future):
        assert _code(api.raw(CREATE_APP, {"o": org}, token=token, org=org)) == "UNAUTHENTICATED"
    assert api.one(CREATE_APP, {"o": org}, token=owner.token, org=org)["success"]

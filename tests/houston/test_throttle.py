"""Login throttling against a real Houston server (uvicorn, proxy headers trusted from loopback).

The attempt is counted atomically before the password check, so parallel guesses cannot get
more checks than the limit; the count is per (email, client address), so an attacker who knows
an email cannot lock its owner out from elsewhere; a password reset clears every count.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from eventyard.houston import security
from eventyard.houston.app import create_app
from eventyard.houston.services.throttle import client_key
from eventyard.settings import Settings
from tests.conftest import free_port
from tests.houston.conftest import PASSWORD, link_token, make_account, outbox_links

LOGIN = "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { success code } }"
RESET = "mutation($e: String!) { requestPasswordReset(email: $e) { success } }"
SET_PASSWORD = "mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) { success } }"


class Houston:
    """``uvicorn`` serving Houston in a thread, trusting X-Forwarded-For from 127.0.0.1 (a proxy)."""

    def __init__(self, settings: Settings) -> None:
        port = free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning",
            proxy_headers=True, forwarded_allow_ips="127.0.0.1",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "Houston did not start"
            time.sleep(0.05)

    def call(self, query: str, variables: dict[str, Any], address: str = "198.51.100.1") -> dict[str, Any]:
        """One request from ``address`` (told to Houston by X-Forwarded-For)."""
        response = httpx.post(
            self.url, json={"query": query, "variables": variables},
            headers={"x-forwarded-for": address}, timeout=30,
        )  # fmt: skip
        (value,) = response.json()["data"].values()
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def houston(settings: Settings) -> Iterator[Houston]:
    server = Houston(settings)
    yield server
    server.stop()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check (Argon2 verification) the server makes, by password."""
    seen: list[str] = []
    verify = security.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        seen.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting)
    return seen


@pytest.mark.parametrize("parallel", [40, 100])
def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(
    houston: Houston, settings: Settings, checks: list[str], parallel: int
) -> None:
    make_account(settings, "victim@example.com")

    async def storm() -> list[str]:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=parallel)) as client:

            async def guess(n: int) -> str:
                response = await client.post(
                    houston.url,
                    json={"query": LOGIN, "variables": {"u": "victim@example.com", "p": f"guess-{n}"}},
                    headers={"x-forwarded-for": "203.0.113.66"},
                )
                return str(response.json()["data"]["createToken"]["code"])

            return list(await asyncio.gather(*(guess(n) for n in range(parallel))))

    codes = asyncio.run(storm())
    limit = settings.login_max_failures
    assert len(checks) <= limit, f"{len(checks)} password checks for a limit of {limit}"
    assert codes.count("INVALID_CREDENTIALS") == len(checks) and codes.count("THROTTLED") == parallel - len(
        checks
    )


def test_an_attacker_cannot_lock_the_owner_out_and_a_reset_clears_the_count(
    houston: Houston, settings: Settings
) -> None:
    make_account(settings, "owner@example.com")
    attacker, owner = "203.0.113.66", "192.0.2.10"
    variables = {"u": "owner@example.com", "p": "wrong password"}
    codes = [houston.call(LOGIN, variables, attacker)["code"] for _ in range(settings.login_max_failures + 2)]
    assert codes[-2:] == ["THROTTLED", "THROTTLED"]
    # The right password from the attacker's address is refused as well: no check happens there.
    assert houston.call(LOGIN, {**variables, "p": PASSWORD}, attacker)["code"] == "THROTTLED"
    # The owner, elsewhere, logs in as usual (and another address of the same /64 counts as the attacker's).
    assert houston.call(LOGIN, {**variables, "p": PASSWORD}, owner)["success"]
    assert houston.call(LOGIN, {**variables, "p": PASSWORD}, "2001:db8:1:2::1")["success"]
    for _ in range(settings.login_max_failures):
        houston.call(LOGIN, variables, "2001:db8:1:2::1")
    assert houston.call(LOGIN, {**variables, "p": PASSWORD}, "2001:db8:1:2:ffff::9")["code"] == "THROTTLED"
    # Following a reset link proves the mailbox and clears every address's count.
    assert houston.call(RESET, {"e": "owner@example.com"}, owner)["success"]
    (link,) = outbox_links(settings, "owner@example.com", "reset_password")
    assert houston.call(SET_PASSWORD, {"t": link_token(link), "p": "a new password!"}, owner)["success"]
    assert houston.call(LOGIN, {**variables, "p": "a new password!"}, attacker)["success"]


def test_client_addresses_are_grouped_as_one_client() -> None:
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("2001:db8:1:2:3:4:5:6") == client_key("2001:db8:1:2::9") == "2001:db8:1:2::/64"
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key(None) == "unknown"

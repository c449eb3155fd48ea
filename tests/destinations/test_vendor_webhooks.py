"""Webhooks against a customer endpoint that verifies Segment's X-Signature and its auth header."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest

from eventyard.destinations.vendors.webhooks import Webhooks
from tests.destinations.contracts import WEBHOOK_SECRET, WEBHOOK_TOKEN, webhook_contract, webhook_keys
from tests.destinations.drive import run_engine
from tests.destinations.pipeline import message
from tests.destinations.receivers import Received, Reply, check, running

KINDS = ("track", "identify", "page", "screen", "group", "alias")


def webhooks(url: str, **config: object) -> Webhooks:
    connection = {
        "webhookUrl": url,
        "sharedSecret": WEBHOOK_SECRET,
        "headers": {"Authorization": WEBHOOK_TOKEN},
    }
    return Webhooks(connection, config)


def test_every_call_type_is_posted_unchanged_and_signed() -> None:
    messages = [message(kind, i) for i, kind in enumerate(KINDS)]
    with running(webhook_contract, keys=webhook_keys) as receiver:
        run = run_engine(webhooks(receiver.url + "/hook"), messages)
    assert set(run.statuses().values()) == {"delivered"} and receiver.violations == []
    received = sorted((r.json() for r in receiver.accepted), key=lambda m: m["messageId"])
    assert received == sorted(messages, key=lambda m: m["messageId"])  # one per request, unchanged
    assert receiver.accepted[0].path == "/hook"


def test_batches_sha256_signature_and_put() -> None:
    def contract(request: Received) -> Reply:
        check(request.method == "PUT", 405, "method")
        expected = hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        check(request.headers.get("x-signature") == expected, 401, "signature")
        check(len(request.json()) <= 3, 413, "too many")
        return Reply(204)

    messages = [message("track", i) for i in range(8)]
    config = {"enableBatching": True, "batchSize": 3, "webhookMethod": "PUT", "signatureAlgorithm": "sha256"}
    with running(contract, keys=webhook_keys) as receiver:
        run = run_engine(webhooks(receiver.url, **config), messages)
    assert set(run.statuses().values()) == {"delivered"}
    assert sorted(len(r.json()) for r in receiver.accepted) == [2, 3, 3]
    assert sorted(receiver.deliveries) == sorted(m["messageId"] for m in messages)


def test_413_splits_until_the_receiver_accepts() -> None:
    def contract(request: Received) -> Reply:
        check(len(request.json()) <= 2, 413, {"error": "payload too large"})
        return webhook_contract(request)

    messages = [message("page", i) for i in range(9)]
    with running(contract, keys=webhook_keys) as receiver:
        run = run_engine(webhooks(receiver.url, enableBatching=True, batchSize=9), messages)
    assert set(run.statuses().values()) == {"delivered"} and receiver.duplicates() == {}
    assert len(receiver.deliveries) == 9 and all(len(r.json()) <= 2 for r in receiver.accepted)


def test_429_retry_after_then_success_and_redacted_4xx() -> None:
    with running(webhook_contract, keys=webhook_keys) as receiver:
        receiver.faults.append(Reply(429, "slow down", {"Retry-After": "0.05"}))
        run = run_engine(webhooks(receiver.url), [message("track", 1)])
        assert run.statuses() == {"msg-track-000001": "delivered"} and run.stats.retried_records == 1
        receiver.faults.append(Reply(429, "slow down", {"Retry-After": "120"}))
        later = run_engine(webhooks(receiver.url), [message("track", 2)])
        assert later.results["msg-track-000002"].status == "retry"
        assert later.results["msg-track-000002"].retry_in == 120
        receiver.faults.append(
            Reply(403, {"error": f"token {WEBHOOK_TOKEN} and secret {WEBHOOK_SECRET} refused"})
        )
        dropped = run_engine(webhooks(receiver.url), [message("track", 3)]).results["msg-track-000003"]
    assert dropped.status == "dead" and "HTTP 403" in dropped.error
    assert WEBHOOK_SECRET not in dropped.error and WEBHOOK_TOKEN not in dropped.error


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="webhookUrl"):
        Webhooks({"webhookUrl": "ftp://x"}, {})
    with pytest.raises(ValueError, match="method"):
        Webhooks({"webhookUrl": "http://127.0.0.1:9"}, {"webhookMethod": "DELETE"})
    vendor = Webhooks(
        {"webhookUrl": "http://127.0.0.1:9", "headers": [{"from": "X-Key", "to": "k-123456"}]}, {}
    )
    request = vendor.build_request("default", vendor.transform(message("track", 1)))
    assert request.headers["X-Key"] == "k-123456" and "X-Signature" not in request.headers
    assert orjson.loads(request.body or b"")["messageId"] == "msg-track-000001"

"""Fixtures for the tracking-API tests: one migrated SQLite control DB and one app per module.

The API is exercised in-process through Starlette's TestClient with a recording spool, so
each test can assert exactly which records reached the spool. (The real spool, flusher and
landing are exercised end to end by tests/collector/sdk and the spool helper's suites.)
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from eventyard.collector.app import CollectorApp, create_app
from eventyard.collector.spool import SpoolUnavailable
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.migrate import upgrade
from eventyard.db.models import Membership, Organization, Role, Source, User
from eventyard.settings import Settings

WK = "abc123"
BASIC = {"Authorization": "Basic YWJjMTIzOg=="}
CLIENT_IP = "203.0.113.7"


class RecordingSpool:
    """A spool that keeps records in memory and can be told to fail (unwritable disk)."""

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self.failing = False

    async def append(self, records: Sequence[bytes]) -> None:
        if self.failing:
            raise SpoolUnavailable("disk full (simulated)")
        self.records.extend(records)

    def healthy(self) -> bool:
        return not self.failing

    def stats(self) -> dict[str, float]:
        return {
            "spool_bytes": float(sum(map(len, self.records))),
            "segments": 1.0,
            "oldest_segment_age_s": 1.5,
            "upload_failures": 0.0,
        }

    async def start_flusher(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def stored(self) -> list[dict[str, Any]]:
        """Every record appended, decoded."""
        return [orjson.loads(r) for r in self.records]

    def messages(self) -> list[dict[str, Any]]:
        """The messages of accepted records."""
        return [r["message"] for r in self.stored() if r["rejected"] is None]


@dataclass
class Collector:
    """A running collector app with its recording spool and seeded control DB."""

    app: CollectorApp
    client: TestClient
    spool: RecordingSpool
    settings: Settings
    ids: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        self.spool.records.clear()
        self.spool.failing = False


def seed(settings: Settings) -> dict[str, str]:
    """Two organizations, their users and sources (enabled, disabled, deleted)."""
    with session_scope(get_engine(settings)) as s:
        acme, other = Organization(name="Acme"), Organization(name="Other")
        s.add_all([acme, other])
        s.flush()
        now = datetime.now(UTC)
        member = User(email="m@acme.test", confirmed_at=now)
        outsider = User(email="o@other.test", confirmed_at=now)
        s.add_all([member, outsider])
        s.flush()
        s.add_all(
            [
                Membership(org_id=acme.id, user_id=member.id, role=Role.USER),
                Membership(org_id=other.id, user_id=outsider.id, role=Role.OWNER),
                Source(id=WK, org_id=acme.id, name="web", platform="analytics.js"),
                Source(id="disabledkey", org_id=acme.id, name="off", platform="web", enabled=False),
                Source(id="deletedkey", org_id=acme.id, name="gone", platform="web", deleted_at=now),
                Source(id="otherkey", org_id=other.id, name="other", platform="web"),
            ]
        )
        return {"acme": acme.id, "other": other.id, "member": member.id, "outsider": outsider.id}


def make_settings(home: Path, **overrides: Any) -> Settings:
    """Settings on a fresh, migrated SQLite control DB in ``home`` (no environment involved)."""
    home.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "home": home,
        "secret_key": "test-secret-key-" + "x" * 32,
        "writekey_cache_seconds": 0.2,
        "debugger_size": 50,
    }
    values.update(overrides)
    settings = Settings(**values)
    upgrade(get_engine(settings))
    return settings


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """One app per test module (startup once); records are cleared before every test."""
    settings = make_settings(tmp_path_factory.mktemp("collector") / "home")
    ids = seed(settings)
    spool = RecordingSpool()
    app = create_app(settings, spool_factory=lambda _s: spool, run_flusher=False)
    with TestClient(app, client=(CLIENT_IP, 50000)) as client:
        yield Collector(app, client, spool, settings, ids)


@pytest.fixture
def col(collector: Collector) -> Collector:
    """The module's collector, with an empty spool."""
    collector.reset()
    return collector


def gz(data: bytes) -> bytes:
    """gzip-compress."""
    return gzip.compress(data)


def b64(data: bytes, *, urlsafe: bool = False, padded: bool = True) -> str:
    """Base64 text in one of its four variants."""
    text = (base64.urlsafe_b64encode(data) if urlsafe else base64.b64encode(data)).decode()
    return text if padded else text.rstrip("=")


def fixed_received(monkeypatch: pytest.MonkeyPatch, iso: str) -> None:
    """Make the collector stamp ``iso`` as receivedAt."""
    from eventyard.collector import routes_tracking

    moment = datetime.fromisoformat(iso)
    monkeypatch.setattr(routes_tracking, "received_now", lambda: (moment, iso))

"""``eventyard flush``: lands what the spool holds, prints counts, exits 1 when something stays."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.spool import Spool
from eventyard.settings import Settings, get_settings

from .helpers import landed_ids, record


async def _leave_behind(settings: Settings, count: int) -> None:
    spool = Spool.open(settings)
    await spool.append([record(message_id=f"m-{i}") for i in range(count)])
    await spool.close()


async def test_flush_lands_and_prints_counts(sqlite_settings: Settings) -> None:
    await _leave_behind(sqlite_settings, 7)
    result = CliRunner().invoke(app, ["flush"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert (counts["segments"], counts["rows"], counts["failed_segments"]) == (1, 7, 0)
    assert len(landed_ids(sqlite_settings)) == 7


async def test_flush_exits_1_and_keeps_the_spool_when_landing_fails(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _leave_behind(sqlite_settings, 3)
    monkeypatch.setenv("EVENTYARD_LANDING_URL", "s3://no-such-bucket/x")
    monkeypatch.setenv("EVENTYARD_S3_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["flush"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed_segments"] == 1
    assert get_settings().resolved_spool_dir.joinpath("slot-0").is_dir()
    monkeypatch.delenv("EVENTYARD_LANDING_URL")
    get_settings.cache_clear()
    assert json.loads(CliRunner().invoke(app, ["flush"]).stdout)["rows"] == 3

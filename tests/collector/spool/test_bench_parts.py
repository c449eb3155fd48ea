"""The collector bench's parts that need no load generator: echo app, wrk script, guards, Parquet rate."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.bench import harness
from eventyard.collector.bench.echo import create_echo_app
from eventyard.collector.bench.wrk import WRK_MISSING, post_script, run_wrk


async def test_echo_app_answers_like_the_collector() -> None:
    transport = httpx.ASGITransport(app=create_echo_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.post("/v1/batch", content=harness.batch_body())
    assert response.status_code == 200
    assert response.json() == {"success": True}


def test_wrk_script_posts_the_body_with_basic_auth(tmp_path: Path) -> None:
    body = harness.batch_body()
    script = post_script(tmp_path, "batch", body, "WRITEKEY").read_text()
    token = base64.b64encode(b"WRITEKEY:").decode()
    assert f"wrk.headers['Authorization'] = 'Basic {token}'" in script
    assert "wrk.method = 'POST'" in script and "WRKJSON" in script
    assert body.count(b'"type":"track"') == harness.EVENTS_PER_BATCH


def test_load_is_only_ever_sent_to_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        run_wrk(
            "http://example.invalid/v1/t",
            tmp_path / "x.lua",
            seconds=1,
            connections=1,
            threads=1,
            events_per_request=1,
        )


def test_missing_wrk_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "wrk" else real_which(name))
    result = CliRunner().invoke(app, ["bench", "collector", "--seconds", "1"])
    assert result.exit_code == 2
    assert WRK_MISSING in result.output
    assert "apt-get install wrk" in WRK_MISSING


def test_spool_to_parquet_rate_is_measured() -> None:
    assert harness.measure_spool_to_parquet(2000) > 0

"""``eventyard bench load`` runs end to end on a small scale (the figures themselves are for humans)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventyard.cli import app


@pytest.mark.postgres
def test_bench_load_small(pg_server_url: str, state_home: object) -> None:
    result = CliRunner().invoke(
        app, ["bench", "load", "--events", "3000", "--batch-size", "1000", "--pg-url", pg_server_url]
    )
    assert result.exit_code == 0, result.output
    assert "3,000 (6,000 table rows" in result.output
    assert "ratio vs plain COPY" in result.output
    assert "re-run inserted       0 rows" in result.output

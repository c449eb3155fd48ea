"""``eventyard bench merge`` runs end to end on a small scale (the figures themselves are for humans)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventyard.cli import app


@pytest.mark.postgres
def test_bench_merge_small(pg_server_url: str, state_home: object) -> None:
    result = CliRunner().invoke(
        app, ["bench", "merge", "--rows", "3000", "--chunk-rows", "1000", "--pg-url", pg_server_url]
    )
    assert result.exit_code == 0, result.output
    assert "Segment rows          6,000 (tracks + game_move)" in result.output
    assert "ratio vs the ceiling" in result.output and "rounds (ceiling/merge s)" in result.output
    assert "re-run merged         0 rows" in result.output

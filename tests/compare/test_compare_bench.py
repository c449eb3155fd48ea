"""``eventyard bench compare`` runs end to end on a small size (figures printed, nothing asserted on time)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventyard.cli import app

pytestmark = pytest.mark.postgres


def test_bench_compare_prints_its_figures_against_the_scan_ceiling(pg_server_url: str) -> None:
    url = pg_server_url.replace("postgresql+psycopg://", "postgresql://")
    result = CliRunner().invoke(app, ["bench", "compare", "--calls", "3000", "--pg-url", url])
    assert result.exit_code == 0, result.output
    lines = {line.split("  ")[0].strip(): line for line in result.stdout.splitlines()}
    assert "12,000 (tracks + order_completed, both sides)" in lines["rows compared"]
    assert "2 tables match" in lines["eventyard compare"]
    assert "compare / one scan" in lines and "one plain scan (ceiling)" in lines
    # In SQL: a handful of rows per query reach Python, not the 12,000 compared.
    returned = lines["rows returned to Python"].split()[4].replace(",", "")
    assert int(returned) < 200

"""Fixtures for the catalog tests: MetaRouter's compatibility matrix, parsed from the reference."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# CI clones the repo beside shared/ (../shared); locally the checkout is /work/main beside /work/shared.
MATRIX_FILE = REPO_ROOT.parent / "shared" / "reference" / "000_8826d71bbdae372c.txt"
MATRIX_TITLE = "Source/Destination Compatibility Matrix"


def parse_matrix(text: str) -> dict[str, tuple[bool, bool, bool]]:
    """Rows of the matrix: destination name -> (client, server, mobile)."""
    lines = text.splitlines()
    start = lines.index(MATRIX_TITLE) + 1
    rows: dict[str, tuple[bool, bool, bool]] = {}
    for line in lines[start:]:
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4:
            break  # the table ends at the first line that is not a row
        name, marks = cells[0], cells[1:4]
        if name in ("Client", "---") or not name:
            continue  # header and separator rows
        assert all(m in ("✔", "x") for m in marks), f"unexpected matrix row: {line!r}"
        rows[name] = (marks[0] == "✔", marks[1] == "✔", marks[2] == "✔")
    return rows


@pytest.fixture(scope="session")
def matrix() -> dict[str, tuple[bool, bool, bool]]:
    """MetaRouter's compatibility matrix; fails (never skips) when the reference file is absent."""
    if not MATRIX_FILE.is_file():
        pytest.fail(f"reference file missing: {MATRIX_FILE} (shared/ must sit beside the repo clone)")
    return parse_matrix(MATRIX_FILE.read_text(encoding="utf-8"))

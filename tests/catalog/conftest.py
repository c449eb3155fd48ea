"""Fixtures for the catalog tests: MetaRouter's compatibility matrix, parsed from the copy in data/."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The matrix section of MetaRouter's docs, kept verbatim as test data so the tests are self-contained.
MATRIX_FILE = Path(__file__).resolve().parent / "data" / "compatibility_matrix.txt"
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
    """MetaRouter's compatibility matrix."""
    return parse_matrix(MATRIX_FILE.read_text(encoding="utf-8"))

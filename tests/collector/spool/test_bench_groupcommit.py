"""The group-commit scenario (``bench/groupcommit.py``): every group commit counted, by kind."""

from __future__ import annotations

from pathlib import Path

from eventyard.collector.bench.groupcommit import run


def test_group_commits_are_classified_and_rotations_use_spares(tmp_path: Path) -> None:
    result = run(rate=400, seconds=1.6, record_bytes=600, seal_every=0.3, directory=tmp_path)
    kinds = result["by_kind"]
    assert result["group_commits"] == sum(kind["count"] for kind in kinds.values())
    assert result["group_commits"] >= 20
    # Sealed by age every ~0.3 s: the first segment is created, later ones are renamed spares.
    assert kinds["rotation_created"]["count"] >= 1
    assert kinds["rotation_spare"]["count"] >= 1
    assert result["rotations"] == kinds["rotation_created"]["count"] + kinds["rotation_spare"]["count"]
    assert result["cpu_us_per_record"] > 0
    assert not list(tmp_path.iterdir()), "the throw-away spool is removed"

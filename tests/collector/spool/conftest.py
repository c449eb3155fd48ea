"""Fixtures for the spool tests: settings with a migrated control DB and small flush thresholds."""

from __future__ import annotations

import pytest

from eventyard.settings import Settings


@pytest.fixture
def spool_settings(sqlite_settings: Settings) -> Settings:
    """SQLite-backed settings whose flusher never seals by age on its own during a test."""
    return sqlite_settings.model_copy(update={"flush_interval_seconds": 600.0})

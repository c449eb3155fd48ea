"""Where the quality checks keep their Great Expectations project and Data Docs (light to import:
the Airflow UI plugin serves the Data Docs from here)."""

from __future__ import annotations

from pathlib import Path

from eventyard.settings import Settings


def project_dir(settings: Settings) -> Path:
    """The GX file project (suites, results, Data Docs) of this Eventyard home."""
    return settings.home.resolve() / "great_expectations"


def data_docs_index(settings: Settings) -> Path:
    """The Data Docs site's front page."""
    return project_dir(settings) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"

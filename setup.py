"""Build step only: the metadata is in pyproject.toml.

``build_py`` also copies the top-level ``dags/``, ``plugins/`` and ``warehouse_sql/`` into the
package as ``eventyard/_project/``, so a wheel carries the DAG files Airflow runs and the SQL
templates the warehouse dialects read (``eventyard.project_files`` finds them there when there is
no checkout), and, when ``npm ci`` has installed it, the analytics.js bundle the collector serves.
Editable installs read the checkout's folders in place and copy nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# Keep in step with eventyard.project_files.PROJECT_FOLDERS / PACKAGED_DIR.
PROJECT_FOLDERS = ("dags", "plugins", "warehouse_sql")
PACKAGED_DIR = Path("eventyard") / "_project"
# npm's build of @segment/analytics-next (package.json), served by the collector (collector/bundle.py).
ANALYTICS_JS = (Path("node_modules/@segment/analytics-next/dist/umd"), "analytics-next")


class BuildPyWithProjectFolders(build_py):
    """``build_py`` plus a copy of the project folders the package reads at run time."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name in PROJECT_FOLDERS:
            source = HERE / name
            if not source.is_dir():
                raise FileNotFoundError(f"{source} is missing: build from a full checkout or sdist")
            self._copy(source, name)
        bundle, name = ANALYTICS_JS
        if (HERE / bundle / "standalone.js").is_file():
            self._copy(HERE / bundle, name)
        else:
            print(
                f"warning: {bundle} is missing (run npm ci): the wheel's collector cannot serve analytics.js"
            )

    def _copy(self, source: Path, name: str) -> None:
        target = Path(self.build_lib) / PACKAGED_DIR / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))


setup(cmdclass={"build_py": BuildPyWithProjectFolders})

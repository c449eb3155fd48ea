"""Build step only: the metadata is in pyproject.toml.

``build_py`` also copies the top-level ``dags/``, ``plugins/`` and ``warehouse_sql/`` into the
package as ``eventyard/_project/``, so a wheel carries the DAG files Airflow runs and the SQL
templates the warehouse dialects read (``eventyard.project_files`` finds them there when there is
no checkout), and, when ``npm ci`` has installed it, the analytics.js bundle the collector serves.
Editable installs read the checkout's folders in place and copy nothing.

It also compiles the collector's per-event intake with mypyc (``eventyard/collector/compiled.py``,
decision 0042) when mypy and a C compiler are there, and records the digest of the sources it
compiled. Without them, or with ``EVENTYARD_PURE_PYTHON=1``, the package is pure Python and the
build says so: the same code runs, a quarter slower per event.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from setuptools import Distribution, setup
from setuptools.command.build_ext import build_ext
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


def _compiled_helper() -> ModuleType:
    """``eventyard/collector/compiled.py``, loaded by path (standard library only; no install needed)."""
    path = HERE / "include" / "eventyard" / "collector" / "compiled.py"
    spec = importlib.util.spec_from_file_location("_eventyard_compiled", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPILED = _compiled_helper()
COMPILED_DIR = Path("include") / "eventyard" / "collector"


def why_pure_python() -> str | None:
    """Why the intake cannot be compiled here (cheap checks only), or None when it can."""
    if COMPILED.pure_python_requested(os.environ):
        return f"{COMPILED.PURE_PYTHON_ENV} is set"
    if importlib.util.find_spec("mypyc") is None:
        return "mypy (mypyc) is not installed where the package is built"
    if not any(shutil.which(cc) for cc in (os.environ.get("CC") or "cc", "gcc")):
        return "no C compiler (cc or gcc)"
    return None


def _warn_pure_python(why: str) -> None:
    print(f"warning: building Eventyard's intake as pure Python: {why}", file=sys.stderr)


def compiled_intake() -> list[Any]:
    """mypyc's extensions for the intake modules (type-checks and generates C: seconds, so only
    when ``build_ext`` runs, not each time pip asks for metadata)."""
    from mypyc.build import mypycify

    sources = [str(COMPILED_DIR / f"{name}.py") for name in COMPILED.MODULES]
    # No config file: the project's mypy config loads plugins an isolated build does not have;
    # missing third-party types only make the compiled code check less at run time.
    options = ["--config-file=", "--ignore-missing-imports", "--python-version", "3.11"]
    return list(mypycify([*options, *sources], group_name="eventyard_intake", target_dir="build/mypyc"))


class BuildExtRecordingSources(build_ext):
    """``build_ext`` of the compiled intake, plus the digest of its sources next to it."""

    def finalize_options(self) -> None:
        # Here rather than in run(): setuptools prepares each extension as it finalizes.
        if WHY_PURE_PYTHON is None and not self.distribution.ext_modules:
            try:
                self.distribution.ext_modules = compiled_intake()
            except (Exception, SystemExit) as failed:  # mypy reports type errors by exiting
                _warn_pure_python(f"mypyc failed ({failed!r}); see the messages above")
        super().finalize_options()

    def run(self) -> None:
        super().run()
        if self.extensions:
            target = Path(self.get_ext_fullpath(f"{COMPILED.PACKAGE}.{COMPILED.MODULES[0]}")).parent
            COMPILED.write_digest(HERE / COMPILED_DIR, target)


class IntakeDistribution(Distribution):
    """Has extension modules exactly when the intake can be compiled (``build_ext`` makes them)."""

    def has_ext_modules(self) -> bool:
        return WHY_PURE_PYTHON is None


WHY_PURE_PYTHON = why_pure_python()
if WHY_PURE_PYTHON is not None:
    _warn_pure_python(WHY_PURE_PYTHON)

setup(
    distclass=IntakeDistribution,
    cmdclass={"build_py": BuildPyWithProjectFolders, "build_ext": BuildExtRecordingSources},
)

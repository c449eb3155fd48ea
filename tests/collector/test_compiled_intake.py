"""The compiled intake (decision 0042): the suite runs it, its fallback works, stale builds never run.

``make setup`` compiles ``timestamps``, ``validate``, ``enrich`` and ``intake`` with mypyc next to
their sources, so every other test in the suite exercises the compiled modules, as production
runs them. These tests pin what that relies on: that they really are compiled here, that the
API behaves the same with the sources (``EVENTYARD_PURE_PYTHON=1``, the fallback of a build
without mypy or a C compiler), and that an edited source is never shadowed by an older build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from eventyard.collector import compiled

REPO = Path(__file__).resolve().parents[2]


def test_the_suite_runs_the_compiled_intake() -> None:
    """``make setup`` compiled the intake and the collector imports it: a build that silently fell
    back to pure Python would make every other test check the wrong code."""
    expected = "python" if compiled.pure_python_requested(os.environ) else "mypyc"
    assert compiled.implementation() == expected
    if expected == "mypyc":
        from eventyard.collector import enrich, intake, timestamps, validate

        for module in (timestamps, validate, enrich, intake):
            assert module.__file__ and not module.__file__.endswith(".py"), module.__file__


@pytest.mark.slow
def test_the_api_behaves_the_same_with_the_sources(tmp_path: Path) -> None:
    """The collector's API tests pass with the intake as pure Python (the fallback build)."""
    env = {**os.environ, compiled.PURE_PYTHON_ENV: "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'pytest'}",
         "tests/collector/api", "tests/collector/test_compiled_intake.py", "-k", "not behaves_the_same"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


def _fake_package(directory: Path, *, compiled_modules: bool) -> Path:
    directory.mkdir()
    for name in compiled.MODULES:
        (directory / f"{name}.py").write_text(f"NAME = {name!r}\n")
        if compiled_modules:
            (directory / f"{name}{EXTENSION_SUFFIXES[0]}").write_bytes(b"not loaded by these tests")
    return directory


def test_sources_matching_the_recorded_digest_use_the_compiled_modules(tmp_path: Path) -> None:
    package = _fake_package(tmp_path / "pkg", compiled_modules=True)
    compiled.write_digest(package, package)
    assert compiled.reason_to_run_sources(package, {}) is None
    assert compiled.reason_to_run_sources(package, {compiled.PURE_PYTHON_ENV: "0"}) is None


def test_an_edited_source_makes_the_sources_run(tmp_path: Path) -> None:
    package = _fake_package(tmp_path / "pkg", compiled_modules=True)
    compiled.write_digest(package, package)
    (package / "enrich.py").write_text("NAME = 'edited'\n")
    reason = compiled.reason_to_run_sources(package, {})
    assert reason is not None and "not built from the sources" in reason and "make setup" in reason


def test_a_build_without_a_digest_is_not_trusted(tmp_path: Path) -> None:
    package = _fake_package(tmp_path / "pkg", compiled_modules=True)
    assert compiled.reason_to_run_sources(package, {}) is not None


def test_the_environment_variable_forces_the_sources(tmp_path: Path) -> None:
    package = _fake_package(tmp_path / "pkg", compiled_modules=True)
    compiled.write_digest(package, package)
    assert compiled.reason_to_run_sources(package, {compiled.PURE_PYTHON_ENV: "1"}) == (
        f"{compiled.PURE_PYTHON_ENV} is set"
    )


def test_a_pure_python_package_needs_no_choice(tmp_path: Path) -> None:
    package = _fake_package(tmp_path / "pkg", compiled_modules=False)
    assert compiled.reason_to_run_sources(package, {compiled.PURE_PYTHON_ENV: "1"}) is None


def test_a_stale_build_in_a_checkout_runs_the_edited_source(tmp_path: Path) -> None:
    """A copy of the built package with ``enrich.py`` edited afterwards: the edit runs, all four
    modules come from their sources (never a compiled ``intake`` calling an old ``enrich``), and the
    user is told how to rebuild."""
    copy = tmp_path / "site"
    shutil.copytree(REPO / "include" / "eventyard", copy / "eventyard",
                    ignore=shutil.ignore_patterns("__pycache__", "_project"))  # fmt: skip
    for shared in (REPO / "include").glob("eventyard_intake__mypyc.*"):
        shutil.copy(shared, copy / shared.name)
    enrich = copy / "eventyard" / "collector" / "enrich.py"
    enrich.write_text(enrich.read_text() + "\nEDITED_AFTER_THE_BUILD = True\n")
    probe = (
        "import warnings; warnings.simplefilter('always')\n"
        "from eventyard.collector import compiled, enrich, intake, timestamps, validate\n"
        "print(enrich.EDITED_AFTER_THE_BUILD, compiled.implementation())\n"
        "print(*(m.__file__ for m in (timestamps, validate, enrich, intake)))\n"
        "from eventyard.collector.intake import batch_records\n"
    )
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_PYTHON_ENV}
    env["PYTHONPATH"] = str(copy)
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, files = done.stdout.splitlines()
    assert first == "True python"
    assert all(f.startswith(str(copy)) and f.endswith(".py") for f in files.split()), files
    assert "not built from the sources beside them" in done.stderr and "make setup" in done.stderr

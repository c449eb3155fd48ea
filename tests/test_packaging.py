"""The installed package: a wheel built from this tree, installed into a fresh venv, runs the demo.

The wheel is built from a copy of the tree (so the build never writes into the checkout) with the
repo's pinned setuptools and no network. Its dependencies are not downloaded again: the fresh
venv sees the repo venv's third-party packages through a ``.pth`` file pointing at a folder of
links to them, which leaves out the checkout's editable ``eventyard`` install. The demo then runs
from a directory outside the repository, with the checkout on no path at all.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Everything in the tree except what git ignores (caches, venvs, build output, state).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", ".eventyard", "build", "dist", "*.egg-info", "__pycache__",
    "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache", "*.so", "_compiled_sources.sha256",
)  # fmt: skip


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel`` of a copy of this tree (no dependencies, no build isolation: offline)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE, symlinks=True)
    bundle = Path("node_modules/@segment/analytics-next/dist/umd")  # installed by npm ci (make setup)
    shutil.copytree(REPO / bundle, source / bundle)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(work / "dist"), str(source)])  # fmt: skip
    [built] = (work / "dist").glob("eventyard-*.whl")
    return built


def test_wheel_ships_every_file_the_package_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "eventyard/_project/dags/load_warehouses.py",
        "eventyard/_project/dags/deliver_destinations.py",
        "eventyard/_project/dags/quality_checks.py",
        "eventyard/_project/warehouse_sql/duckdb/quality_scan.sql",
        "eventyard/_project/plugins/eventyard_links.py",
        "eventyard/_project/warehouse_sql/postgres/merge.sql",
        "eventyard/_project/warehouse_sql/redshift/copy_stage.sql",
        "eventyard/catalog/destinations.json",
        "eventyard/collector/debugger.html",
        "eventyard/demo/sql/games.sql",
        "eventyard/db/migrations/script.py.mako",
        "eventyard/_project/analytics-next/standalone.js",
    ):
        assert name in names, name
    templates = {p.relative_to(REPO).as_posix() for p in (REPO / "warehouse_sql").rglob("*.sql")}
    assert {f"eventyard/_project/{t}" for t in templates} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "api/"))]


def test_wheel_ships_the_compiled_intake_with_its_sources(wheel: Path) -> None:
    """Built where mypy and a C compiler are (as the image's wheel stage is), the wheel carries the
    mypyc-compiled intake, the sources it was compiled from and their digest (collector/compiled.py)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for module in ("timestamps", "validate", "enrich", "intake"):
        assert f"eventyard/collector/{module}{suffix}" in names
        assert f"eventyard/collector/{module}.py" in names
    assert f"eventyard_intake__mypyc{suffix}" in names
    assert "eventyard/collector/_compiled_sources.sha256" in names


def test_every_third_party_import_is_a_declared_dependency(wheel: Path) -> None:
    """What `pip install .` installs (the wheel's dependencies and theirs) covers every import of
    the package, its DAGs and plugins."""
    with zipfile.ZipFile(wheel) as archive:
        [info] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [
            line.split(":", 1)[1].strip()
            for line in archive.read(info).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    declared = _requirement_names(requires)
    installed = _closure(declared)
    owners = metadata.packages_distributions()
    missing = {}
    for path in [*(REPO / "include/eventyard").rglob("*.py"), *(REPO / "dags").glob("*.py"),
                 *(REPO / "plugins").glob("*.py")]:  # fmt: skip
        for module in _imported_modules(path):
            dists = {_normalize(d) for d in owners.get(module, [])}
            if module in sys.stdlib_module_names or module == "eventyard" or dists & installed:
                continue
            missing[module] = str(path.relative_to(REPO))
    assert missing == {}


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    )
    deps = _dependency_links(tmp_path / "deps")
    (site / "repo_venv_dependencies.pth").write_text(f"{deps}\n")
    _console_scripts(deps, python)
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)])  # fmt: skip

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTYARD_", "AIRFLOW", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    locate = "import eventyard.project_files as p; print(p.__file__, p.project_root())"
    where = _run([str(python), "-c", locate], cwd=elsewhere, env=env).stdout.split()
    assert all(Path(w).is_relative_to(site / "eventyard") for w in where), where
    serve = (
        "from eventyard.collector.bundle import analytics_js; "
        "print(len(analytics_js('k', 'http://c', metalytics=False)))"
    )
    assert int(_run([str(python), "-c", serve], cwd=elsewhere, env=env).stdout) > 100_000
    which = "from eventyard.collector.compiled import implementation; print(implementation())"
    assert _run([str(python), "-W", "error", "-c", which], cwd=elsewhere, env=env).stdout.strip() == "mypyc"

    home = tmp_path / "demo-home"
    command = [str(venv / "bin" / "eventyard"), "demo", "--home", str(home), "--players", "2", "--games", "1"]
    demo = _run(command, cwd=elsewhere, env=env, timeout=600)
    assert "6. Ran the load_warehouses Airflow DAG once" in demo.stdout
    assert "Moves per direction:" in demo.stdout and "Done in " in demo.stdout
    # Airflow parsed the DAG files packaged in the wheel, not the checkout's.
    assert str(REPO) not in (home / "airflow-demo-run.log").read_text()


def _dependency_links(folder: Path) -> Path:
    """A folder of links to the repo venv's site-packages entries, except eventyard's own."""
    folder.mkdir()
    repo_site = Path(sysconfig.get_path("purelib"))
    for entry in repo_site.iterdir():
        if "eventyard" in entry.name.lower() or entry.suffix == ".pth":
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def _console_scripts(deps: Path, python: Path) -> None:
    """The console scripts pip writes when it installs the dependencies (Airflow's `airflow`)."""
    for dist in metadata.distributions(path=[str(deps)]):
        for entry in dist.entry_points.select(group="console_scripts"):
            script = python.parent / entry.name
            call = f"{entry.module}.{entry.attr}" if entry.attr else entry.module
            script.write_text(f"#!{python}\nimport sys, {entry.module}\nsys.exit({call}())\n")
            script.chmod(0o755)


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _requirement_names(requirements: list[str]) -> set[str]:
    from packaging.requirements import Requirement

    return {_normalize(Requirement(r).name) for r in requirements if "extra ==" not in r}


def _closure(names: set[str]) -> set[str]:
    """The distributions installing ``names`` pulls in."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += _requirement_names(metadata.requires(name) or [])
        except metadata.PackageNotFoundError:
            continue
    return seen


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - {"__future__"}

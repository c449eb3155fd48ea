"""Which implementation of the per-event intake runs: the mypyc-compiled one or the Python source.

``setup.py`` compiles the four modules every tracked event goes through (:data:`MODULES`) with
mypyc when it can: a quarter fewer instructions per event, the lever that decision 0042 pulls
for ``/v1/batch`` at full load. Where it cannot (no mypy or no C compiler where the package is
built, or ``EVENTYARD_PURE_PYTHON=1``) the package runs the same modules as Python.

A compiled module sits next to its source, and Python's import system prefers it. In a
checkout, an edit to ``enrich.py`` would then not run until the modules were rebuilt. So the
build records a digest of the sources it compiled (:data:`DIGEST_FILE`), and when the package is
imported, :func:`select` makes the sources run instead of the compiled modules:

- when ``EVENTYARD_PURE_PYTHON=1`` is set (the fallback's own tests, and a user's way out);
- when the sources no longer match the digest, with a warning naming the rebuild command.

All four go together: compiled modules call one another directly, so a compiled ``intake``
would keep running the old ``enrich`` however ``sys.modules`` were arranged.

This module is never compiled itself and imports only the standard library: ``setup.py`` loads
it by path to write the digest.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import warnings
from collections.abc import Mapping
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType

PACKAGE = "eventyard.collector"
# Compiled as one group; listed in import order (each imports only those before it).
MODULES = ("timestamps", "validate", "enrich", "intake")
DIGEST_FILE = "_compiled_sources.sha256"
PURE_PYTHON_ENV = "EVENTYARD_PURE_PYTHON"
REBUILD_HINT = "run `make setup` in a checkout, or reinstall the package"


def source_digest(directory: Path) -> str:
    """SHA-256 over the compiled modules' names and sources, in :data:`MODULES` order."""
    digest = hashlib.sha256()
    for name in MODULES:
        digest.update(name.encode() + b"\0")
        digest.update((directory / f"{name}.py").read_bytes())
    return digest.hexdigest()


def write_digest(directory: Path, target: Path) -> None:
    """Record the digest of ``directory``'s sources in ``target`` (the build step's half)."""
    (target / DIGEST_FILE).write_text(source_digest(directory) + "\n")


def compiled_files(directory: Path) -> list[Path]:
    """The compiled modules present in ``directory`` (empty when the package is pure Python)."""
    return [
        directory / f"{name}{suffix}"
        for name in MODULES
        for suffix in EXTENSION_SUFFIXES
        if (directory / f"{name}{suffix}").is_file()
    ]


def pure_python_requested(environ: Mapping[str, str]) -> bool:
    """Whether ``EVENTYARD_PURE_PYTHON`` asks for the sources (any value but empty or 0)."""
    return environ.get(PURE_PYTHON_ENV, "") not in ("", "0")


def reason_to_run_sources(directory: Path, environ: Mapping[str, str]) -> str | None:
    """Why the sources must run instead of compiled modules that are present; None to use them."""
    if not compiled_files(directory):
        return None
    if pure_python_requested(environ):
        return f"{PURE_PYTHON_ENV} is set"
    if not all((directory / f"{name}.py").is_file() for name in MODULES):
        return None  # an install that shipped only the compiled modules: nothing to compare
    try:
        recorded = (directory / DIGEST_FILE).read_text().strip()
    except OSError:
        recorded = ""
    if recorded != source_digest(directory):
        return (
            f"the compiled {', '.join(MODULES)} in {directory} were not built from the sources "
            f"beside them; running the sources ({REBUILD_HINT})"
        )
    return None


def import_sources(directory: Path) -> dict[str, ModuleType]:
    """Import :data:`MODULES` from their ``.py`` files, in order, bypassing the compiled ones."""
    loaded: dict[str, ModuleType] = {}
    for name in MODULES:
        qualified = f"{PACKAGE}.{name}"
        spec = importlib.util.spec_from_file_location(qualified, directory / f"{name}.py")
        if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
            raise ImportError(f"cannot load {qualified} from {directory}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module  # before running it, as the import system does
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[qualified]
            raise
        loaded[name] = module
    return loaded


def select(package: ModuleType) -> None:
    """Called by the package's ``__init__``: run the sources when the compiled modules must not."""
    directory = Path(package.__file__ or "").parent
    reason = reason_to_run_sources(directory, os.environ)
    if reason is None:
        return
    if not pure_python_requested(os.environ):  # asked for: nothing to warn about
        warnings.warn(reason, RuntimeWarning, stacklevel=2)
    for name, module in import_sources(directory).items():
        setattr(package, name, module)


def implementation() -> str:
    """``"mypyc"`` when the compiled intake runs, ``"python"`` when its sources do."""
    from eventyard.collector import intake

    return "python" if (intake.__file__ or "").endswith(".py") else "mypyc"

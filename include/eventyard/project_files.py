"""The project's top-level folders the package reads at run time: ``dags/``, ``plugins/``, ``warehouse_sql/``.

In a checkout they live next to ``include/`` and are read in place, so an edit shows at once.
An installed wheel has no checkout: ``setup.py``'s ``build_py`` step copies the same folders
into ``eventyard/_project/`` at build time, and they are read from there. The DAG files and SQL
templates therefore have one source, the top-level folders, whichever way Eventyard is installed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from eventyard.errors import FatalError

PROJECT_FOLDERS = ("dags", "plugins", "warehouse_sql")
# Where setup.py's build_py puts the copies inside the package (keep the two in step).
PACKAGED_DIR = "_project"


class ProjectFilesMissing(FatalError, FileNotFoundError):
    """Neither a checkout nor the packaged copy holds the folder (a broken install)."""


def checkout_root() -> Path | None:
    """The repository root when the package is imported from a checkout (``include/eventyard``)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "include" / "eventyard").is_dir() and (root / "dags").is_dir() else None


@lru_cache(maxsize=1)
def project_root() -> Path:
    """The folder holding ``dags/``, ``plugins/`` and ``warehouse_sql/``: the checkout's root, or
    the copy packaged into the installed wheel."""
    root = checkout_root()
    if root is not None:
        return root
    packaged = Path(__file__).resolve().with_name(PACKAGED_DIR)
    missing = [name for name in PROJECT_FOLDERS if not (packaged / name).is_dir()]
    if missing:
        raise ProjectFilesMissing(
            f"Eventyard is installed without {', '.join(missing)} (looked in {packaged}): "
            "install it from a wheel built by `pip install .` / `pip wheel .`, or run it from a checkout"
        )
    return packaged


def project_folder(name: str) -> Path:
    """One of ``PROJECT_FOLDERS`` (``dags``, ``plugins``, ``warehouse_sql``)."""
    if name not in PROJECT_FOLDERS:
        raise ValueError(f"{name!r} is not shipped with the package; expected one of {PROJECT_FOLDERS}")
    return project_root() / name


def packaged_folder(name: str) -> Path:
    """A folder copied into the package at build time (e.g. ``analytics-next``); it exists only
    in an installed wheel."""
    return Path(__file__).resolve().with_name(PACKAGED_DIR) / name

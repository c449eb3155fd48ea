"""One exception root: every exception class of the package is an ``EventyardError``, on one
of the branches callers act on, and no two classes share a name."""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict

import pytest

from eventyard.errors import BadInputError, EventyardError, FatalError, RetriableError, TaskFailed
from tests.test_imports import module_names


def exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in a module of the package (Alembic's env script aside:
    it only runs inside Alembic)."""
    found = []
    for name in module_names():
        if name.startswith("eventyard.db.migrations"):
            continue
        module = importlib.import_module(name)
        found += [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == name
        ]
    return found


@pytest.fixture(scope="module")
def classes() -> list[type[BaseException]]:
    return exception_classes()


def test_every_exception_has_the_one_root(classes: list[type[BaseException]]) -> None:
    outside = {f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, EventyardError)}
    assert outside == set()


def test_no_two_exception_classes_share_a_name(classes: list[type[BaseException]]) -> None:
    modules = defaultdict(list)
    for c in classes:
        modules[c.__qualname__].append(c.__module__)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}


@pytest.mark.parametrize(
    ("qualified", "branch"),
    [
        ("eventyard.warehouse.errors.TransientWarehouseError", RetriableError),
        ("eventyard.warehouse.errors.TerminalWarehouseError", FatalError),
        ("eventyard.landing.store.StoreError", RetriableError),
        ("eventyard.houston.codes.HoustonError", BadInputError),
        ("eventyard.catalog.models.CatalogError", BadInputError),
        ("eventyard.destinations.base.InvalidMessage", BadInputError),
        ("eventyard.demo.provision.DemoError", FatalError),
        ("eventyard.airflow_support.AirflowSetupError", FatalError),
        ("eventyard.collector.spool.SpoolUnavailable", RetriableError),
        ("eventyard.collector.parsing.RequestError", BadInputError),
        ("eventyard.collector.bundle.BundleMissing", FatalError),
    ],
)
def test_callers_branch_on_the_class(qualified: str, branch: type[EventyardError]) -> None:
    module, _, name = qualified.rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), name), branch)


def test_standard_bases_are_kept_for_existing_except_clauses() -> None:
    from eventyard.catalog import UnknownDestination
    from eventyard.destinations.registry import UnknownIntegration
    from eventyard.houston.bootstrap import BootstrapError

    assert issubclass(UnknownDestination, KeyError) and issubclass(UnknownIntegration, KeyError)
    assert issubclass(BootstrapError, ValueError) and issubclass(TaskFailed, RuntimeError)

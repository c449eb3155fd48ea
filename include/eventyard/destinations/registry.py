"""Code → vendor ``Integration`` class, discovered from the modules in ``vendors/``.

Every module there that defines a concrete ``Integration`` subclass with a ``code`` is picked up,
so adding a vendor is adding one file. A module that fails to import is reported (and its
vendor is unavailable) instead of taking every other vendor down with it.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from functools import lru_cache

from eventyard.destinations import vendors
from eventyard.destinations.base import Integration
from eventyard.errors import BadInputError

log = logging.getLogger(__name__)


class UnknownIntegration(BadInputError, KeyError):
    """No vendor module implements this catalog code."""

    def __str__(self) -> str:
        return f"no vendor integration implements {self.args[0]!r}"


@lru_cache(maxsize=1)
def _discover() -> tuple[dict[str, type[Integration]], dict[str, str]]:
    classes: dict[str, type[Integration]] = {}
    errors: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(vendors.__path__), key=lambda m: m.name):
        name = f"{vendors.__name__}.{info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # one broken vendor must not hide the others
            log.error("cannot import vendor module %s: %s", name, exc)
            errors[info.name] = f"{type(exc).__name__}: {exc}"
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if not issubclass(obj, Integration) or obj.__module__ != module.__name__:
                continue
            code = getattr(obj, "code", None)
            if inspect.isabstract(obj) or not isinstance(code, str):
                continue
            if code in classes:
                raise RuntimeError(f"two vendor classes claim code {code!r}: {name}")
            classes[code] = obj
    return classes, errors


def integration_classes() -> dict[str, type[Integration]]:
    """Every implemented vendor by catalog code."""
    return dict(_discover()[0])


def import_errors() -> dict[str, str]:
    """Vendor modules that failed to import, with the error (for diagnostics)."""
    return dict(_discover()[1])


def get_integration_class(code: str) -> type[Integration]:
    """The vendor class for a catalog code; raises ``UnknownIntegration`` when none exists."""
    try:
        return _discover()[0][code]
    except KeyError:
        raise UnknownIntegration(code) from None

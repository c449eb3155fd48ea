"""What table dialects and storage writers share: connection details, a session, error sorting,
and the registries that map a catalog code to a class."""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypeVar

from eventyard.settings import Settings
from eventyard.warehouse.errors import TerminalWarehouseError

T = TypeVar("T", bound="Target")


class Target(abc.ABC):
    """One customer's warehouse or storage, reached with an integration's connection details."""

    name: ClassVar[str]

    def __init__(self, connection_details: Mapping[str, Any], settings: Settings) -> None:
        self.details = dict(connection_details)
        self.settings = settings

    def required(self, key: str) -> str:
        """A connection detail the target cannot work without (a terminal error when missing)."""
        value = self.details.get(key)
        if value in (None, ""):
            raise TerminalWarehouseError(f"{self.name} connection is missing {key!r}")
        return str(value)

    @abc.abstractmethod
    def connect(self) -> None:
        """Open the connection (and any process-level lock the target needs)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection; safe to call twice."""

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_terminal(self, exc: BaseException) -> bool:
        """Whether retrying the same operation cannot help (see ``eventyard.warehouse.errors``);
        subclasses add their driver's permanent errors. Unknown errors are transient."""
        return isinstance(exc, TerminalWarehouseError)


def registered_class(
    registry: Mapping[str, str], code: str, base: type[T], unknown: type[TerminalWarehouseError]
) -> type[T]:
    """The class a registry (code -> "module:Class") names for ``code``, imported on demand so
    that a missing client library only matters to the integrations that use it."""
    try:
        module_name, class_name = registry[code].split(":")
    except KeyError:
        raise unknown(f"no {base.__name__} for integration code {code!r}") from None
    cls = getattr(importlib.import_module(module_name), class_name)
    assert isinstance(cls, type) and issubclass(cls, base)
    return cls

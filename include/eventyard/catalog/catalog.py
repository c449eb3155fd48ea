"""The `Catalog`: look up destinations, check settings and source platforms against them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventyard.catalog.models import Destination, UnknownDestination
from eventyard.catalog.platforms import platform_family
from eventyard.catalog.values import validate_values


class Catalog:
    """An immutable, validated set of destinations (build it with `load_catalog()`)."""

    def __init__(self, destinations: Iterable[Destination]) -> None:
        self._by_code = {d.code: d for d in destinations}
        self._sorted = sorted(self._by_code.values(), key=lambda d: (d.name.casefold(), d.code))

    def all(self) -> list[Destination]:
        """Every destination, sorted by name (a new list each call)."""
        return list(self._sorted)

    def codes(self) -> list[str]:
        """Every destination code, sorted."""
        return sorted(self._by_code)

    def get(self, code: str) -> Destination:
        """The destination with this code; raises `UnknownDestination` (a KeyError) otherwise."""
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise UnknownDestination(code, self.codes()) from None

    def validate_connection(self, code: str, details: dict[str, Any]) -> list[str]:
        """Errors in connection `details` for destination `code` ([] when they are acceptable)."""
        destination, errors = self._usable(code)
        if destination is None:
            return errors
        return errors + validate_values(destination.connection_fields, details, "connection details")

    def validate_config(self, code: str, payload: dict[str, Any]) -> list[str]:
        """Errors in an integration's config `payload` for destination `code` ([] when acceptable)."""
        destination, errors = self._usable(code)
        if destination is None:
            return errors
        return errors + validate_values(destination.config_fields, payload, "config")

    def check_platform(self, code: str, platform: str) -> str | None:
        """None when sources of `platform` may feed destination `code`, else why not."""
        destination, errors = self._usable(code)
        if destination is None:
            return errors[0]
        try:
            family = platform_family(platform)
        except ValueError as exc:
            return str(exc)
        support = destination.delivery_support()
        if getattr(support, family):
            return None
        supported = ", ".join(support.families()) or "none"
        return f"{destination.name} does not support {family} sources (supports: {supported})"

    def _usable(self, code: str) -> tuple[Destination | None, list[str]]:
        # New connections/integrations must not target a retired destination.
        try:
            destination = self.get(code)
        except UnknownDestination:
            return None, [f"unknown destination {code!r}"]
        if destination.status == "retired":
            return None, [f"{destination.name} is retired: {destination.status_reason}"]
        return destination, []

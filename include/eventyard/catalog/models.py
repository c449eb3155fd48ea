"""The catalog's value types: a destination, its support flags and its settings fields."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from eventyard.errors import BadInputError

# Where events of a destination go. `browser` destinations have no server API, so they can only
# run in device mode (the SDK loads the vendor's tag); every other kind is delivered by us.
KINDS = frozenset({"api", "warehouse", "storage", "stream", "browser"})
STATUSES = frozenset({"active", "retired"})
FIELD_TYPES = frozenset(
    {"input", "password", "number", "boolean", "select", "array", "map", "textarea", "json"}
)
# The Segment-spec call types; `callTypes` settings choose among them.
CALL_TYPES = ("track", "identify", "page", "screen", "group", "alias")
FAMILIES = ("client", "server", "mobile")


class CatalogError(BadInputError):
    """The catalog data is invalid (raised while loading it, naming the bad entry)."""


class UnknownDestination(BadInputError, KeyError):
    """No destination with this code is in the catalog."""

    def __init__(self, code: str, known: list[str]) -> None:
        self.code = code
        self.message = f"unknown destination {code!r} (known codes: {', '.join(known)})"
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError would repr() the message, wrapping it in quotes.
        return self.message


@dataclass(frozen=True)
class Field:
    """One setting of a connection or config prototype (`propertyName`, `fieldType`, ...)."""

    property_name: str
    label: str
    field_type: str
    required: bool
    secret: bool
    # Defaults may be lists/dicts (JSON values); keep them out of the hash so Field stays hashable.
    default: Any = dataclasses.field(default=None, hash=False)
    options: tuple[str, ...] = ()
    description: str = ""
    # The value decides which server receives the connection's requests (and so its secrets):
    # a host, URL, endpoint, region or data center. Changing it needs the secrets entered again.
    routing: bool = False
    # Other names accepted for this field on input (the seed document's spellings), never stored.
    aliases: tuple[str, ...] = ()
    # Published by the vendor in every page using its browser tag (never a secret; see parse).
    public: bool = False


@dataclass(frozen=True)
class Support:
    """Which source families (MetaRouter's matrix columns) a destination accepts events from."""

    client: bool
    server: bool
    mobile: bool

    def families(self) -> list[str]:
        """The supported families in matrix order, e.g. ``["client", "mobile"]``."""
        return [family for family in FAMILIES if getattr(self, family)]


@dataclass(frozen=True)
class Destination:
    """A catalog entry: what a destination is and which settings it takes."""

    code: str
    name: str
    kind: str
    support: Support
    status: str
    status_reason: str
    description: str
    connection_prototype_id: str
    connection_fields: tuple[Field, ...]
    config_fields: tuple[Field, ...]
    docs_url: str = ""
    device_mode: DeviceMode | None = None
    # A server-to-server API that delivers this destination's events beyond what the matrix row
    # says (its browser tag): e.g. "Google Ads API: ConversionUploadService". Empty when none.
    server_api: str = ""
    server_api_docs_url: str = ""

    def delivery_support(self) -> Support:
        """The source families Eventyard delivers from: the matrix row, plus server sources when
        a server API (``serverApi``) delivers the destination's events."""
        return Support(self.support.client, self.support.server or bool(self.server_api), self.support.mobile)

    # Alternative sets of connection fields (e.g. Postgres: ``url`` or ``host``/``port``/...): the
    # details use the fields of exactly one set, and ``required`` applies within the set used.
    connection_one_of: tuple[tuple[str, ...], ...] = ()

    def secret_connection_fields(self) -> frozenset[str]:
        """Property names of the connection fields that must be encrypted and never shown to Users."""
        return frozenset(f.property_name for f in self.connection_fields if f.secret)

    def routing_connection_fields(self) -> frozenset[str]:
        """Property names of the connection fields that decide where data and secrets are sent."""
        return frozenset(f.property_name for f in self.connection_fields if f.routing)

    def config_defaults(self) -> dict[str, Any]:
        """The declared default of every config field that has one (copies, safe to mutate)."""
        return {f.property_name: _copy(f.default) for f in self.config_fields if f.default is not None}


def _copy(value: Any) -> Any:
    # Defaults are shared catalog data; hand out fresh lists/dicts so callers can't alter them.
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


# The integration's config field that chooses cloud, device or hybrid delivery.
CONNECTION_MODE_FIELD = "connectionMode"


@dataclass(frozen=True)
class DeviceMode:
    """The browser side of a catalog entry."""

    plugin: str
    source: str
    consent_category: str
    modes: tuple[str, ...]
    public_fields: tuple[str, ...]
    tag_url: str

    @property
    def default_mode(self) -> str:
        """The mode of an integration that does not choose one (the first listed)."""
        return self.modes[0]

    def mode_field(self) -> Field | None:
        """The ``connectionMode`` config field, when there is a choice to make."""
        if len(self.modes) < 2:
            return None
        return Field(
            CONNECTION_MODE_FIELD,
            "Connection mode",
            "select",
            False,
            False,
            self.default_mode,
            self.modes,
            "cloud: our servers deliver; device: the browser plugin delivers and the servers skip "
            "what it handled; hybrid: both, with messageId as the shared event id for deduplication.",
        )

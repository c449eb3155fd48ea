"""One warehouse integration, looked up and decrypted once: the typed setup every load step uses.

``setup_warehouse`` reads the integration, its source and its connection from the control DB,
decrypts the connection details, and builds the target: a ``Dialect`` and schema for a table
warehouse (``TableSetup``), or a ``StorageWriter`` and location for a storage destination
(``StorageSetup``). A load builds it once and passes it down. Code beside the loader (Segment
compare and merge, quality checks) starts from ``table_setup`` the same way::

    setup = table_setup(settings, integration_id)
    with setup.dialect as d:
        d.query(d.sql.statement("my_check", table=d.qualified(setup.schema, "tracks")))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eventyard.crypto import decrypt_details
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Connection, Integration, Source
from eventyard.settings import Settings
from eventyard.warehouse.dialects import DIALECTS, Dialect, dialect_class
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.naming import fit_identifier, snake_case
from eventyard.warehouse.storage import STORAGES, StorageWriter, storage_class

WAREHOUSE_CODES = frozenset(DIALECTS) | frozenset(STORAGES)


class IntegrationNotFound(TerminalWarehouseError, LookupError):
    """The integration, its source or its connection does not exist."""


@dataclass(frozen=True)
class WarehouseSetup:
    """What every warehouse or storage integration has: who it is, its config, its connection."""

    integration_id: str
    org_id: str
    code: str
    source_id: str
    source_name: str
    config: Mapping[str, Any]
    # Decrypted; kept out of repr so that a logged setup never shows a password.
    details: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class TableSetup(WarehouseSetup):
    """A table warehouse: its (unconnected) dialect and the source's schema in it."""

    dialect: Dialect = field(repr=False, kw_only=True)
    schema: str = field(kw_only=True)


@dataclass(frozen=True)
class StorageSetup(WarehouseSetup):
    """A storage destination: its (unconnected) writer and where the source's files go."""

    writer: StorageWriter = field(repr=False, kw_only=True)
    location: str = field(kw_only=True)


def schema_for(config: Mapping[str, Any], source_name: str, dialect: type[Dialect] | Dialect) -> str:
    """The integration's schema: its ``namespace`` config, else the source name, snake-cased."""
    wanted = str(config.get("namespace") or source_name)
    return fit_identifier(snake_case(wanted), wanted, dialect)


def setup_warehouse(settings: Settings, integration_id: str) -> TableSetup | StorageSetup:
    """Look the integration up and decrypt its connection, once; raises ``IntegrationNotFound``
    or ``TerminalWarehouseError`` (unknown code, undecryptable details)."""
    with session_scope(get_engine(settings)) as session:
        integration = session.get(Integration, integration_id)
        if integration is None:
            raise IntegrationNotFound(f"no integration {integration_id!r}")
        source = session.get(Source, integration.app_id)
        connection = session.get(Connection, integration.connection_id)
        if source is None or connection is None:
            raise IntegrationNotFound(f"integration {integration_id!r} has no source or connection")
        code, config = integration.integration_code, dict(integration.config or {})
        base: dict[str, Any] = {
            "integration_id": integration.id,
            "org_id": integration.org_id,
            "code": code,
            "source_id": source.id,
            "source_name": source.name,
            "config": config,
        }
        encrypted = connection.details_encrypted
    try:
        details = decrypt_details(settings, encrypted)
    except RuntimeError as exc:  # the secret key changed: no retry can decrypt it
        raise TerminalWarehouseError(str(exc)) from exc
    if code in STORAGES:
        writer = storage_class(code)(details, settings)
        location = writer.location(base["source_id"], config)
        return StorageSetup(**base, details=details, writer=writer, location=location)
    dialect = dialect_class(code)(details, settings)
    schema = schema_for(config, base["source_name"], dialect)
    return TableSetup(**base, details=details, dialect=dialect, schema=schema)


def table_setup(settings: Settings, integration_id: str) -> TableSetup:
    """The setup of a table warehouse integration (for code that runs SQL on its tables)."""
    setup = setup_warehouse(settings, integration_id)
    if not isinstance(setup, TableSetup):
        raise TerminalWarehouseError(f"integration {integration_id!r} ({setup.code}) has no tables")
    return setup

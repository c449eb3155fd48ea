"""Turning an integration row and landed messages into what the engine sends.

``setup_vendor`` builds the vendor object (connection details decrypted, config defaults from
the catalog); ``prepare`` runs the filters and the vendor's transform over messages and sorts
them into immediate fates (skipped, invalid) and items to send; ``fates_for`` joins the
engine's results back, in input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.crypto import decrypt_details
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Connection
from eventyard.db.models import Integration as IntegrationRow
from eventyard.destinations.base import Integration, InvalidMessage, SkipMessage
from eventyard.destinations.engine import Item, ItemResult, vendor_bug
from eventyard.destinations.filters import MessageFilter
from eventyard.destinations.ledger import Fate
from eventyard.destinations.registry import get_integration_class
from eventyard.landing import open_store, read_parquet
from eventyard.settings import Settings

# Delivered messages only count in the ledger, so they share one fate.
DELIVERED_FATE = Fate("", "", "delivered")


@dataclass(frozen=True)
class VendorSetup:
    """A ready-to-use vendor object for one integration, with its filter and identifiers."""

    integration_id: str
    org_id: str
    source_id: str
    code: str
    vendor: Integration
    filter: MessageFilter


@dataclass
class Prepared:
    """Messages sorted into immediate fates and items to send (``items[i].key`` = input index)."""

    fates: list[Fate | None]
    items: list[Item] = field(default_factory=list)
    pending: dict[int, tuple[str, str]] = field(default_factory=dict)
    vendor_errors: int = 0  # messages whose transform raised


def connection_details(settings: Settings, connection: Connection) -> dict[str, Any]:
    """The decrypted connection details (Houston encrypts them at rest)."""
    return decrypt_details(settings, connection.details_encrypted)


def catalog_entry(code: str) -> tuple[list[str], dict[str, Any]]:
    """The destination's names for the ``integrations`` object and its config defaults.

    Falls back to the code alone when the catalog does not know the destination, so a vendor
    module can be used before its catalog entry exists.
    """
    try:
        from eventyard.catalog.loader import load_catalog

        destination = load_catalog().get(code)
    except (ImportError, KeyError):
        return [code], {}
    return [destination.name, destination.code], destination.config_defaults()


def integrations_keys(cls: type[Integration], catalog_names: list[str]) -> list[str]:
    """Keys that address this destination in a message's ``integrations`` object."""
    return [*catalog_names, *cls.integration_aliases]


def setup_vendor(settings: Settings, integration_id: str) -> VendorSetup:
    """Build the vendor object of an integration (raises if it cannot be built)."""
    with session_scope(get_engine(settings)) as session:
        row = session.get(IntegrationRow, integration_id)
        if row is None:
            raise LookupError(f"integration {integration_id} does not exist")
        connection = session.get(Connection, row.connection_id)
        if connection is None:
            raise LookupError(f"integration {integration_id} has no connection")
        details = connection_details(settings, connection)
        code, org_id, source_id, config = row.integration_code, row.org_id, row.app_id, dict(row.config or {})
    cls = get_integration_class(code)
    names, defaults = catalog_entry(code)
    config = {**defaults, **config}
    vendor = cls(details, config)
    message_filter = MessageFilter.build(
        names=integrations_keys(cls, names),
        vendor_call_types=cls.call_types,
        config=config,
        integration_id=integration_id,
    )
    return VendorSetup(integration_id, org_id, source_id, code, vendor, message_filter)


def read_batch_messages(settings: Settings, uri: str) -> list[tuple[str, str]]:
    """(message id, message JSON) of every event of a landed batch, in order."""
    store = open_store(
        settings.resolved_landing_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    )
    table = read_parquet(store.get(uri)).select(["message_id", "message"])
    return list(zip(table.column("message_id").to_pylist(), table.column("message").to_pylist(), strict=True))


def prepare(setup: VendorSetup, messages: Sequence[tuple[str, str]]) -> Prepared:
    """Filter and transform messages; failures of one message never affect another."""
    prepared = Prepared(fates=[None] * len(messages))
    for index, (message_id, text) in enumerate(messages):
        fate = _transform_one(setup, index, message_id, text, prepared)
        prepared.fates[index] = fate
    return prepared


def _transform_one(
    setup: VendorSetup, index: int, message_id: str, text: str, prepared: Prepared
) -> Fate | None:
    try:
        message = orjson.loads(text)
        if type(message) is not dict:
            raise InvalidMessage("the message is not a JSON object")
        reason = setup.filter.skip_reason(message)
        if reason:
            return Fate(message_id, text, "skipped", error=reason)
        records = setup.vendor.transform_landed(message, text)
    except SkipMessage as exc:
        return Fate(message_id, text, "skipped", error=str(exc))
    except (InvalidMessage, orjson.JSONDecodeError) as exc:
        return Fate(message_id, text, "dead", reason="invalid", error=setup.vendor.redact(str(exc)))
    except Exception as exc:  # a vendor bug: dead-letter (replayable after the fix), keep going
        bug = vendor_bug(setup.vendor, "transform", exc, log_traceback=not prepared.vendor_errors)
        prepared.vendor_errors += 1  # one traceback per batch is enough
        return Fate(message_id, text, "dead", reason="vendor_error", error=bug.error)
    if not records:
        return Fate(message_id, text, "skipped", error="the vendor has nothing to send for this message")
    prepared.items.append(Item(index, records))
    prepared.pending[index] = (message_id, text)
    return None


def fates_for(prepared: Prepared, results: Mapping[int, ItemResult]) -> list[Fate]:
    """Every message's fate, in input order."""
    fates: list[Fate] = []
    for index, fate in enumerate(prepared.fates):
        if fate is None:
            result = results[index]
            if result.status == "delivered":
                fates.append(DELIVERED_FATE)
                continue
            message_id, text = prepared.pending[index]
            fate = Fate(
                message_id,
                text,
                result.status,
                reason=(result.reason or "rejected") if result.status == "dead" else "",
                error=result.error,
                retry_in=result.retry_in,
            )
        fates.append(fate)
    return fates

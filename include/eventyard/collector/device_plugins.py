"""The device-mode part of the analytics.js settings: which browser plugins a source's page loads.

For a write key, every enabled integration whose catalog entry has a ``deviceMode`` and whose
``connectionMode`` is ``device`` or ``hybrid`` (browser-only destinations are always ``device``)
becomes one ``remotePlugins`` entry, with only its public settings (``publicFields`` plus the
allow/deny lists and call types; secrets never leave the server). ``device`` integrations are
also listed as bundled with their integration id in ``maybeBundledConfigIds``: analytics.js then
stamps ``_metadata.bundledIds`` on every event it sends, and delivery skips those events for
those integrations (the page already sent them). Every source also gets the first-party click-id
enrichment plugin.

Answers are cached per write key for ``writekey_cache_seconds``, like the keys themselves, so
switching an integration off in Houston reaches pages within that time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from eventyard.catalog import Destination, load_catalog
from eventyard.catalog.device_mode import ALWAYS_PUBLIC, CONNECTION_MODE_FIELD
from eventyard.crypto import decrypt_details
from eventyard.db.models import Connection, Integration
from eventyard.settings import Settings

log = logging.getLogger(__name__)

# The first-party enrichment every source loads: ad click ids -> context.clickIds.
CLICK_IDS_PLUGIN = "click-ids"
CLICK_IDS_NAME = "Eventyard Click IDs"
_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class DevicePlugin:
    """One plugin for the page: an enabled device-mode integration (or a first-party plugin)."""

    name: str  # the catalog name: the key of the message's `integrations` object
    plugin: str  # file under /v1/plugins/
    integration_id: str | None
    mode: str
    consent_category: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def library_name(plugin: str) -> str:
    """The window global a built plugin assigns its factory to (``eventyard_hotjar``)."""
    return "eventyard_" + plugin.replace("-", "_")


def public_settings(
    destination: Destination, details: dict[str, Any], config: dict[str, Any]
) -> dict[str, Any]:
    """The settings a plugin may see: public fields and the delivery options, defaults applied."""
    assert destination.device_mode is not None
    values = {**destination.config_defaults(), **config, **details}
    names = (*destination.device_mode.public_fields, *ALWAYS_PUBLIC)
    return {name: values[name] for name in names if values.get(name) not in (None, "")}


def integration_mode(destination: Destination, config: dict[str, Any]) -> str:
    """The integration's connection mode: its ``connectionMode``, else the catalog default."""
    assert destination.device_mode is not None
    mode = config.get(CONNECTION_MODE_FIELD) or destination.device_mode.default_mode
    return str(mode) if mode in destination.device_mode.modes else destination.device_mode.default_mode


def load_plugins(engine: Engine, settings: Settings, source_id: str) -> list[DevicePlugin]:
    """The plugins of one source, read from the control DB (blocking: call it off the event loop)."""
    catalog = load_catalog()
    query = (
        select(Integration, Connection)
        .join(Connection, Connection.id == Integration.connection_id)
        .where(Integration.app_id == source_id, Integration.enabled.is_(True))
        .order_by(Integration.created_at, Integration.id)
    )
    plugins = [DevicePlugin(CLICK_IDS_NAME, CLICK_IDS_PLUGIN, None, "device")]
    with Session(engine) as session:
        rows = [(i, c.details_encrypted) for i, c in session.execute(query).tuples()]
        session.expunge_all()
    for integration, encrypted in rows:
        try:
            destination = catalog.get(integration.integration_code)
        except KeyError:
            continue
        if destination.device_mode is None or destination.status != "active":
            continue
        config = dict(integration.config or {})
        mode = integration_mode(destination, config)
        if mode == "cloud":
            continue
        try:
            details = decrypt_details(settings, encrypted)
        except RuntimeError as exc:  # a changed secret key must not take the page's analytics down
            log.error("device plugin of integration %s skipped: %s", integration.id, exc)
            continue
        plugins.append(
            DevicePlugin(
                destination.name,
                destination.device_mode.plugin,
                integration.id,
                mode,
                destination.device_mode.consent_category,
                public_settings(destination, details, config),
            )
        )
    return plugins


class DevicePluginCache:
    """Per-source plugin lists, cached for ``ttl`` seconds (stale answers served if the DB is down)."""

    def __init__(self, engine: Engine, settings: Settings, ttl: float) -> None:
        self._engine = engine
        self._settings = settings
        self._ttl = ttl
        self._entries: dict[str, tuple[float, list[DevicePlugin]]] = {}

    async def plugins(self, source_id: str) -> list[DevicePlugin]:
        """The source's plugins; raises when the DB fails and nothing is cached."""
        entry = self._entries.get(source_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        try:
            plugins = await asyncio.to_thread(load_plugins, self._engine, self._settings, source_id)
        except Exception:
            log.exception("device plugins of source %s could not be read", source_id)
            if entry is not None:
                return entry[1]
            raise
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[source_id] = (time.monotonic() + self._ttl, plugins)
        return plugins

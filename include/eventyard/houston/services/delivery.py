"""Delivery metrics, dead letters and their replay, for the header organization.

The numbers come from the delivery engine's ledger (:mod:`eventyard.destinations.service`);
this module adds what Houston owns: organization scoping, input limits, and a second redaction
of vendor errors with the connection's secret values (the engine already redacts them when it
stores an error; a vendor module that forgets a secret must still not leak it here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

from eventyard.catalog import UnknownDestination, load_catalog
from eventyard.crypto import decrypt_details
from eventyard.db.models import Connection, Integration
from eventyard.destinations.service import ReplayError, dead_letters, delivery_metrics, replay_dead_letters
from eventyard.houston import validation
from eventyard.houston.codes import invalid, not_found
from eventyard.houston.services.connections import REDACTED
from eventyard.houston.services.unit import Unit

# Catalog kinds the delivery engine sends; warehouse/storage kinds are loaded, browser ones run
# in the visitor's browser, so neither has delivery counters or dead letters.
DELIVERED_KINDS = frozenset({"api", "stream"})
MAX_DEAD_LETTERS = 1000
MAX_MESSAGE_IDS = 10_000
MAX_MESSAGE_ID = 255  # the dead-letter table's column width

Scrub = Callable[[str | None], str | None]


@dataclass(frozen=True)
class DeadLetterView:
    """One dead letter as Houston shows it (never the message body: it holds personal data)."""

    id: int
    message_id: str
    batch_id: str | None
    reason: str
    error: str
    attempts: int
    first_failed_at: datetime
    failed_at: datetime
    replayed_at: datetime | None


@dataclass(frozen=True)
class ReplayOutcome:
    """What a replay did: the integration, how many dead letters went back to the queue."""

    integration_id: str
    count: int
    enabled: bool


def list_delivery_metrics(unit: Unit, integration_id: str | None) -> list[dict[str, Any]]:
    """Metrics of the organization's delivered integrations (optionally one); others are skipped."""
    org_id = unit.member_org()
    if integration_id is not None:
        validation.identifier("integrationId", integration_id)
    metrics = []
    for row in delivery_metrics(unit.session, org_id, integration_id):
        integration = unit.session.get(Integration, row["integration_id"])
        if integration is None or _kind(integration.integration_code) not in DELIVERED_KINDS:
            continue
        scrub = _scrubber(unit, integration)
        metrics.append({**row, "last_error": scrub(row["last_error"])})
    return metrics


def list_dead_letters(
    unit: Unit, integration_id: str, limit: int, include_replayed: bool
) -> list[DeadLetterView]:
    """The integration's most recent dead letters, newest first (open ones only by default)."""
    integration = _delivered_integration(unit, integration_id)
    if not 1 <= limit <= MAX_DEAD_LETTERS:
        raise invalid("limit", f"must be between 1 and {MAX_DEAD_LETTERS}")
    letters = dead_letters(
        unit.session, integration.org_id, integration.id, limit=limit, include_replayed=include_replayed
    )
    scrub = _scrubber(unit, integration)
    return [
        DeadLetterView(
            id=letter.id,
            message_id=letter.message_id,
            batch_id=letter.batch_id,
            reason=letter.reason,
            error=scrub(letter.error) or "",
            attempts=letter.attempts,
            first_failed_at=letter.first_failed_at,
            failed_at=letter.created_at,
            replayed_at=letter.replayed_at,
        )
        for letter in letters
    ]


def replay(
    unit: Unit, integration_id: str, message_ids: Sequence[str] | None, since: datetime | None
) -> ReplayOutcome:
    """Re-queue the integration's open dead letters (only ``message_ids`` / those dead-lettered
    at or after ``since``, when given); the next delivery cycle sends them."""
    integration = _delivered_integration(unit, integration_id)
    wanted = _message_ids(message_ids)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a DateTime without an offset is read as UTC
    try:
        count = replay_dead_letters(
            unit.session, integration.org_id, integration.id, message_ids=wanted, since=since
        )
    except ReplayError:
        raise not_found("integration") from None
    return ReplayOutcome(integration.id, count, integration.enabled)


def _delivered_integration(unit: Unit, integration_id: str) -> Integration:
    org_id = unit.member_org()
    row = unit.owned(Integration, org_id, "integrationId", integration_id, "integration")
    kind = _kind(row.integration_code)
    if kind not in DELIVERED_KINDS:
        how = "loaded by the load_warehouses DAG" if kind in ("warehouse", "storage") else "not sent by us"
        raise invalid(
            "integrationId",
            f"{row.integration_code} is a {kind} integration: its events are {how}, "
            "so it has no deliveries or dead letters",
        )
    return row


def _message_ids(message_ids: Sequence[str] | None) -> list[str] | None:
    if message_ids is None:
        return None
    if not message_ids:
        raise invalid("messageIds", "must not be empty (leave it out to replay every dead letter)")
    if len(message_ids) > MAX_MESSAGE_IDS:
        raise invalid("messageIds", f"at most {MAX_MESSAGE_IDS} ids per call")
    for message_id in message_ids:
        if not message_id or len(message_id) > MAX_MESSAGE_ID:
            raise invalid("messageIds", f"each id must be 1 to {MAX_MESSAGE_ID} characters")
    return sorted(set(message_ids))


def _kind(code: str) -> str:
    try:
        return load_catalog().get(code).kind
    except UnknownDestination:
        return "unknown"


def _scrubber(unit: Unit, integration: Integration) -> Scrub:
    """Hides the connection's secret values (raw and URL-encoded) in a text."""
    connection = unit.session.get(Connection, integration.connection_id)
    try:
        fields = load_catalog().get(integration.integration_code).secret_connection_fields()
        details = decrypt_details(unit.settings, connection.details_encrypted) if connection else {}
    except (UnknownDestination, RuntimeError):
        # Nothing to compare with; the engine redacted the text when it stored it.
        return lambda text: text
    secrets = {
        form
        for key in fields
        for value in _strings(details.get(key))
        if len(value) >= 4
        for form in (value, quote(value, safe=""), quote_plus(value))
    }

    def scrub(text: str | None) -> str | None:
        if text is None:
            return None
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    return scrub


def _strings(value: Any) -> list[str]:
    """Every string in a setting's value (secret maps such as static headers hold them nested)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []

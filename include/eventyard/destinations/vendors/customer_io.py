"""Customer.io: the Track API v2 batch endpoint (``POST /api/v2/batch``) for every call type, plus
v1 ``POST /api/v1/events`` for events of people not yet identified (v2 needs a person id).

Events carry ``id`` = a ULID derived from messageId and the event time, Customer.io's
deduplication key. A 207 answer lists failed entries by ``batch_index``.
See docs/destinations/customer_io.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

HOSTS = {"US": "https://track.customer.io", "EU": "https://track-eu.customer.io"}
BATCH, ANONYMOUS = "batch", "anonymous"  # routes: v2 batch, v1 anonymous event
MAX_ENTRY_BYTES = 32_000
MAX_NAME_BYTES = 100
DEVICE_EVENTS = frozenset({"Application Installed", "Application Opened"})
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class CustomerIo(base.Integration):
    """Customer.io people, events, page/screen views, objects (groups) and merges."""

    code = "customer_io"
    max_batch_events = 1000
    max_batch_bytes = 500_000
    max_requests_per_second = 100.0  # Track API: ~100 requests/s per workspace
    secret_settings = frozenset({"apiKey"})
    base_url = ""  # empty: the region's host

    def batch_limit(self, route: str) -> int:
        """v1 anonymous events go one per request; v2 batches take up to 1,000 entries."""
        return 1 if route == ANONYMOUS else self.max_batch_events

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One v2 entry per call (plus a device entry for app install/open events with a token)."""
        call_type = str(message.get("type"))
        when = m.event_time(message)
        identifiers = _identifiers(message)
        entries: list[dict[str, Any]] = []
        route = BATCH
        if call_type == "identify":
            if not identifiers:
                raise base.InvalidMessage("Customer.io identify needs userId or traits.email")
            entries.append(
                {
                    "type": "person",
                    "identifiers": identifiers,
                    "action": "identify",
                    "attributes": _attributes(message),
                }
            )
        elif call_type in ("track", "page", "screen"):
            name = _event_name(message, call_type)
            event = {"name": name, "id": ulid(m.message_id(message), when), "timestamp": m.unix_seconds(when)}
            if not identifiers:
                anonymous = m.anonymous_id(message)
                if not anonymous:
                    raise base.InvalidMessage("Customer.io events need userId, email or anonymousId")
                entries.append({**event, "anonymous_id": anonymous, "data": m.properties(message)})
                route = ANONYMOUS
            else:
                action = "event" if call_type == "track" else call_type
                entry = {"type": "person", "identifiers": identifiers, "action": action, **event}
                entries.append({**entry, "attributes": m.properties(message)})
                entries.extend(self._device(message, identifiers, when))
        elif call_type == "group":
            entries.append(_group(message, identifiers))
        elif call_type == "alias":
            previous = m.text(message.get("previousId"))
            if not (previous and m.user_id(message)):
                raise base.InvalidMessage("Customer.io merge needs userId and previousId")
            entries.append(
                {
                    "type": "person",
                    "action": "merge",
                    "primary": {"id": m.user_id(message)},
                    "secondary": {"id": previous},
                }
            )
        for entry in entries:
            if len(m.json_bytes(entry)) > MAX_ENTRY_BYTES:
                raise base.InvalidMessage(f"Customer.io rejects entries larger than {MAX_ENTRY_BYTES} bytes")
        return [base.VendorRecord(m.message_id(message), entry, route=route) for entry in entries]

    def _device(
        self, message: Mapping[str, Any], identifiers: dict[str, str], when: datetime
    ) -> list[dict[str, Any]]:
        # App install/open events carrying a push token register the device (as Segment does);
        # an uninstall removes it.
        device = m.context(message).get("device")
        if not isinstance(device, dict) or not device.get("token"):
            return []
        if message.get("event") == "Application Uninstalled":
            return [
                {
                    "type": "person",
                    "identifiers": identifiers,
                    "action": "delete_device",
                    "device": {"token": device["token"]},
                }
            ]
        if message.get("event") not in DEVICE_EVENTS | {str(m.setting(self, "deviceTokenEventName", ""))}:
            return []
        platform = "ios" if str(device.get("type", "")).lower() == "ios" else "android"
        return [
            {
                "type": "person",
                "identifiers": identifiers,
                "action": "add_device",
                "device": {"token": device["token"], "platform": platform, "last_used": m.unix_seconds(when)},
            }
        ]

    def _host(self) -> str:
        return self.base_url or HOSTS.get(str(m.setting(self, "datacenter", "US")).upper(), HOSTS["US"])

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """v2: ``{"batch": [entries]}``; v1 anonymous: the single event. Basic ``siteID:apiKey``."""
        auth = m.basic_auth(m.required_setting(self, "siteID"), m.required_setting(self, "apiKey"))
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        if route == ANONYMOUS:
            (record,) = records
            return base.HttpRequest(
                "POST", f"{self._host()}/api/v1/events", headers, m.json_bytes(record.payload)
            )
        body = m.json_bytes({"batch": [r.payload for r in records]})
        return base.HttpRequest("POST", f"{self._host()}/api/v2/batch", headers, body)

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """207 → the entries named by ``batch_index`` failed (validation: not retried)."""
        if response.status != 207:
            return base.default_classification(response)
        body = m.body_json(response.body) or {}
        failed: dict[int, str] = {}
        for error in body.get("errors", []) if isinstance(body, dict) else []:
            index = error.get("batch_index")
            if isinstance(index, int):
                reason, field = error.get("reason", "error"), error.get("field", "")
                failed[index] = f"Customer.io {reason}: {field} {error.get('message', '')}".strip()
        if not failed:
            return base.Classification(base.Outcome.SUCCESS)
        return base.Classification(base.Outcome.PARTIAL, error=next(iter(failed.values())), failed=failed)

    def redact(self, text: str) -> str:
        """Also hide the key inside the Basic ``Authorization`` token and in URL-encoded form."""
        return m.redact_encoded(self, super().redact(text), basic_user_setting="siteID")


def _identifiers(message: Mapping[str, Any]) -> dict[str, str]:
    if m.user_id(message):
        return {"id": str(m.user_id(message))}
    email = m.email(message)
    return {"email": email} if email else {}


def _attributes(message: Mapping[str, Any]) -> dict[str, Any]:
    attributes = {
        k: v for k, v in m.traits(message).items() if k not in ("createdAt", "userId", "anonymousId")
    }
    created = m.parse_time(m.traits(message).get("createdAt"))
    if created is not None:
        attributes["created_at"] = m.unix_seconds(created)
    if m.anonymous_id(message):
        attributes["anonymous_id"] = m.anonymous_id(message)  # merges the earlier anonymous activity
    return attributes


def _event_name(message: Mapping[str, Any], call_type: str) -> str:
    if call_type == "track":
        name = str(message.get("event") or "")
    elif call_type == "page":
        page = m.context(message).get("page")
        url = m.properties(message).get("url") or (page.get("url") if isinstance(page, dict) else None)
        name = str(url or message.get("name") or "")
    else:
        name = str(message.get("name") or "")
    if not name:
        raise base.InvalidMessage(f"Customer.io {call_type} needs a name")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise base.InvalidMessage(f"Customer.io event names are limited to {MAX_NAME_BYTES} bytes")
    return name


def _group(message: Mapping[str, Any], identifiers: dict[str, str]) -> dict[str, Any]:
    group_id = m.text(message.get("groupId"))
    if not group_id:
        raise base.InvalidMessage("Customer.io group needs groupId")
    traits = m.traits(message)
    entry: dict[str, Any] = {
        "type": "object",
        "identifiers": {"object_type_id": str(traits.pop("objectTypeId", "1")), "object_id": group_id},
        "action": "identify",
        "attributes": traits,
    }
    if identifiers:
        entry["cio_relationships"] = [{"identifiers": identifiers}]
    return entry


def ulid(key: str, when: datetime) -> str:
    """A deterministic ULID: the event time in ms, then 80 bits of SHA-256 of ``key`` (so the same
    message always gets the same id and Customer.io drops the duplicate)."""
    value = (m.unix_ms(when) & ((1 << 48) - 1)) << 80 | int.from_bytes(
        hashlib.sha256(key.encode()).digest()[:10]
    )
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))

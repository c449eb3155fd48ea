"""Amplitude: HTTP V2 API for events, Group Identify for group properties, User Mapping for alias.

Mapping (as RudderStack's ``am``): track → ``event_type`` = event; page/screen → "Viewed {name}
Page/Screen" or "Loaded a Page/Screen"; identify → ``$identify`` with ``user_properties.$set``
(plus ``$setOnce/$add/$append/$prepend`` for the configured traits); group → ``$identify`` with
``groups`` + a Group Identify call; alias → ``/usermap``. ``insert_id`` = messageId (Amplitude
dedupes on it for 7 days), ``time`` in milliseconds, ``options.min_id_length`` = 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

HOSTS = {"standard": "https://api2.amplitude.com", "EU": "https://api.eu.amplitude.com"}
THROTTLE_SECONDS = 30.0  # Amplitude: pause a throttled user/device at least 30 s
# The 400 body's per-event problem lists (each maps a field to event indices, or is a list).
PROBLEM_KEYS = ("events_with_invalid_fields", "events_with_missing_fields", "events_with_invalid_id_lengths")
TRAIT_OPS = {
    "traitsToSetOnce": "$setOnce",
    "traitsToIncrement": "$add",
    "traitsToAppend": "$append",
    "traitsToPrepend": "$prepend",
}


class Amplitude(base.Integration):
    """Amplitude analytics."""

    code = "amplitude"
    max_batch_events = 2000
    max_batch_bytes = 900_000  # keep HTTP V2 bodies under 1 MB
    secret_settings = frozenset({"apiSecret", "apiKey"})
    base_url = ""

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        super().__init__(connection, config)
        self.api_key = str(self.connection.get("apiKey") or "")
        if not self.base_url:
            self.base_url = HOSTS.get(
                str(self.connection.get("residencyServer") or "standard"), HOSTS["standard"]
            )

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One event record, plus a Group Identify record for group; alias is a user mapping."""
        message_id = m.message_id(message)
        call_type = message.get("type")
        if call_type == "alias":
            previous, user = m.text(message.get("previousId")), m.user_id(message)
            if not previous or not user:
                raise base.InvalidMessage("alias needs previousId and userId")
            return [base.VendorRecord(message_id, {"user_id": previous, "global_user_id": user}, "usermap")]
        event = self._event(message, message_id)
        records = [base.VendorRecord(message_id, event, "events")]
        if call_type == "group":
            group_type, group_value = self._group(message)
            event["groups"] = {group_type: group_value}
            identification = {
                "group_type": group_type,
                "group_value": group_value,
                "group_properties": m.traits(message),
            }
            records.append(base.VendorRecord(message_id, identification, "groupidentify"))
        return records

    def _event(self, message: Mapping[str, Any], message_id: str) -> dict[str, Any]:
        user, device = m.user_id(message), m.anonymous_id(message)
        if not user and not device:
            raise base.InvalidMessage("Amplitude needs userId or anonymousId (user_id or device_id)")
        ctx = m.context(message)
        props = m.properties(message)
        call_type = message.get("type")
        event: dict[str, Any] = {
            "event_type": self._event_type(message),
            "insert_id": message_id,
            "time": m.unix_ms(m.event_time(message)),
            "library": "eventyard",
        }
        if user:
            event["user_id"] = user
        if device:
            event["device_id"] = device
        if call_type == "identify":
            event["user_properties"] = self._user_operations(m.traits(message))
        else:
            event["event_properties"] = props
            if m.user_traits(message):
                event["user_properties"] = m.user_traits(message)
        _context_fields(event, ctx)
        for source, target in (("revenue", "revenue"), ("price", "price"), ("quantity", "quantity")):
            if isinstance(props.get(source), int | float) and not isinstance(props.get(source), bool):
                event[target] = props[source]
        if props.get("productId") or props.get("product_id"):
            event["productId"] = str(props.get("productId") or props.get("product_id"))
        if props.get("revenueType") or props.get("revenue_type"):
            event["revenueType"] = str(props.get("revenueType") or props.get("revenue_type"))
        return event

    def _event_type(self, message: Mapping[str, Any]) -> str:
        call_type = message.get("type")
        if call_type == "track":
            name = str(message.get("event") or "").strip()
            if not name:
                raise base.InvalidMessage("track has no event name")
            return name
        if call_type in ("identify", "group"):
            return "$identify"
        kind = "Page" if call_type == "page" else "Screen"
        name = message.get("name") or m.properties(message).get("name")
        template = self.config.get("userProvidedPageEventString")
        if self.config.get("useUserDefinedPageEventName") and isinstance(template, str) and template:
            return template.replace("{{name}}", str(name or "")).strip() or f"Loaded a {kind}"
        if self.config.get("trackAllPages") or not name:
            return f"Loaded a {kind}"
        category = message.get("category") or m.properties(message).get("category")
        if self.config.get("trackCategorizedPages") and category:
            return f"Viewed {category} {name} {kind}"
        return f"Viewed {name} {kind}"

    def _user_operations(self, traits: dict[str, Any]) -> dict[str, Any]:
        operations: dict[str, dict[str, Any]] = {}
        for setting, op in TRAIT_OPS.items():
            names = self.config.get(setting) or []
            for name in names if isinstance(names, list) else []:
                key = name.get("traits") if isinstance(name, Mapping) else name
                if isinstance(key, str) and key in traits:
                    operations.setdefault(op, {})[key] = traits.pop(key)
        return {"$set": traits, **operations}

    def _group(self, message: Mapping[str, Any]) -> tuple[str, str]:
        traits = m.traits(message)
        type_trait, value_trait = self.config.get("groupTypeTrait"), self.config.get("groupValueTrait")
        group_type = traits.get(type_trait) if isinstance(type_trait, str) and type_trait else None
        group_value = traits.get(value_trait) if isinstance(value_trait, str) and value_trait else None
        group_value = group_value or message.get("groupId")
        if not group_value:
            raise base.InvalidMessage("group has no groupId")
        return str(group_type or "[Segment] Group"), str(group_value)

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """HTTP V2 JSON for events; URL-encoded forms for Group Identify and User Mapping."""
        payloads = [r.payload for r in records]
        if route == "events":
            body = orjson.dumps(
                {"api_key": self.api_key, "events": payloads, "options": {"min_id_length": 1}}
            )
            return base.HttpRequest(
                "POST", f"{self.base_url}/2/httpapi", {"Content-Type": "application/json"}, body
            )
        field, path = (
            ("identification", "groupidentify") if route == "groupidentify" else ("mapping", "usermap")
        )
        form = urlencode({"api_key": self.api_key, field: orjson.dumps(payloads).decode()})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return base.HttpRequest("POST", f"{self.base_url}/{path}", headers, form.encode())

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """400 with per-event problems: drop those events, resend the rest; 429: wait ≥ 30 s."""
        if response.status == 429:
            wait = base.retry_after_seconds(response.headers)
            return base.Classification(
                base.Outcome.RETRY,
                error=f"HTTP 429: {m.short(response.body)}",
                retry_after=wait or THROTTLE_SECONDS,
            )
        if response.status == 400:
            bad = _problem_indices(m.body_json(response.body))
            bad = {i: e for i, e in bad.items() if 0 <= i < len(records)}
            if bad:
                rest = tuple(i for i in range(len(records)) if i not in bad)
                return base.Classification(
                    base.Outcome.PARTIAL,
                    error=m.short(response.body),
                    failed=bad,
                    retry_failed=False,
                    resend=rest,
                )
        return base.default_classification(response)


def _problem_indices(body: Any) -> dict[int, str]:
    """Event index → problem, from Amplitude's 400 body."""
    problems: dict[int, str] = {}
    if not isinstance(body, Mapping):
        return problems
    for key in PROBLEM_KEYS:
        value = body.get(key)
        groups = value.items() if isinstance(value, Mapping) else [("", value)]
        for field, indices in groups:
            for index in indices if isinstance(indices, list) else []:
                if isinstance(index, int):
                    problems[index] = f"{key}: {field}".rstrip(": ")
    return problems


def _context_fields(event: dict[str, Any], ctx: Mapping[str, Any]) -> None:
    def part(name: str) -> Mapping[str, Any]:
        value = ctx.get(name)
        return value if isinstance(value, Mapping) else {}

    os_, device, app, location, network = (part(n) for n in ("os", "device", "app", "location", "network"))
    pairs = {
        "ip": ctx.get("ip"),
        "os_name": os_.get("name"),
        "os_version": os_.get("version"),
        "device_model": device.get("model"),
        "device_manufacturer": device.get("manufacturer"),
        "device_brand": device.get("brand"),
        "app_version": app.get("version"),
        "language": ctx.get("locale"),
        "carrier": network.get("carrier"),
        "city": location.get("city"),
        "country": location.get("country"),
        "region": location.get("region"),
        "location_lat": location.get("latitude"),
        "location_lng": location.get("longitude"),
        "session_id": ctx.get("sessionId") if type(ctx.get("sessionId")) is int else None,
    }
    event.update({k: v for k, v in pairs.items() if v not in (None, "")})

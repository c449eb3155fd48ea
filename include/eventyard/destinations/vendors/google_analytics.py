"""Google Analytics 4 through the Measurement Protocol (Universal Analytics stopped in 2023).

Web streams (``measurement_id`` + ``client_id``) or app streams (``firebase_app_id`` +
``app_instance_id``, see ``google_firebase.py``). track → GA4's recommended event for Segment's
ecommerce spec (``purchase``, ``add_to_cart``, ...) with ``items``, else the sanitized event name;
page → ``page_view``; group → ``join_group``. identify and alias are documented skips (GA4 has no
such calls; traits ride along as ``user_properties``), and so is screen (``screen_view`` is
reserved for Google's SDKs). GA4 answers 2xx even to malformed payloads, so names and limits are
enforced here; ``debugMode`` sends to ``/debug/mp/collect`` and drops on validation messages.
Events older than the protocol's 72-hour backdating window are skipped with that reason: GA4
would answer 2xx and ignore them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson

from eventyard.destinations import base
from eventyard.destinations.vendors import _ga4_ecommerce as ecommerce
from eventyard.destinations.vendors import _message as m

RESERVED_EVENTS = frozenset(
    {
        "ad_activeview",
        "ad_click",
        "ad_exposure",
        "ad_impression",
        "ad_query",
        "ad_reward",
        "adunit_exposure",
        "app_background",
        "app_clear_data",
        "app_exception",
        "app_install",
        "app_remove",
        "app_store_refund",
        "app_store_subscription_cancel",
        "app_store_subscription_convert",
        "app_store_subscription_renew",
        "app_update",
        "app_upgrade",
        "dynamic_link_app_open",
        "dynamic_link_app_update",
        "dynamic_link_first_open",
        "error",
        "firebase_campaign",
        "first_open",
        "first_visit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "os_update",
        "session_start",
        "session_start_with_rollout",
        "user_engagement",
        "screen_view",
    }
)
RESERVED_PREFIXES = ("google_", "ga_", "firebase_")
MAX_EVENTS, MAX_PARAMS, MAX_USER_PROPERTIES = 25, 25, 25
# The Measurement Protocol backdates events by at most 72 hours; older ones are accepted (2xx)
# and ignored. The margin covers the time between the transform and GA4 receiving the request.
MAX_EVENT_AGE, SEND_MARGIN = timedelta(hours=72), timedelta(minutes=10)
MAX_NAME, MAX_VALUE, MAX_USER_PROPERTY_NAME, MAX_USER_PROPERTY_VALUE = 40, 100, 24, 36
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")
SKIPS = {
    "identify": "GA4 has no identify call; traits are sent as user_properties on events",
    "alias": "GA4 has no alias call",
    "screen": "GA4 reserves screen_view for its SDKs; send screens from the Firebase SDK",
}


def ga_name(value: str, limit: int = MAX_NAME) -> str:
    """A GA4 event/parameter name: alphanumerics and underscores, starting with a letter."""
    name = _NOT_NAME.sub("_", value.strip()).strip("_")
    name = re.sub(r"^[^A-Za-z]+", "", name)
    return name[:limit]


class GoogleAnalytics(base.Integration):
    """GA4 Measurement Protocol."""

    code = "google_analytics"
    integration_aliases = ("Google Analytics 4",)
    max_batch_events = MAX_EVENTS
    max_batch_bytes = 120_000  # the body must stay under 130 kB
    secret_settings = frozenset({"apiSecret"})
    base_url = "https://www.google-analytics.com"

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        super().__init__(connection, config)
        self.app_stream = self.connection.get("typesOfClient") == "firebase"
        stream_key = "firebaseAppId" if self.app_stream else "measurementId"
        self.stream_id = str(self.connection.get(stream_key) or "")
        if not self.stream_id:
            raise ValueError(f"{self.code}: setting {stream_key!r} is required")
        mapping = self.config.get("eventsMapping")
        self.events_mapping = dict(mapping) if isinstance(mapping, Mapping) else {}
        pii = self.config.get("piiPropertiesToIgnore")
        self.pii = {p if isinstance(p, str) else str(p.get("piiProperty", "")) for p in pii or []}

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One GA4 event; requests are grouped per client (GA4 takes one client per request)."""
        call_type = m.require_call_type(message, SKIPS)
        message_id = m.message_id(message)
        when = m.event_time(message)
        if datetime.now(UTC) - when > MAX_EVENT_AGE - SEND_MARGIN:
            # GA4 answers 2xx and silently drops these: counting them as delivered would be a lie
            # (and a new integration replays its source's whole history).
            raise base.SkipMessage("GA4 ignores events older than 72 hours (Measurement Protocol)")
        client_key, client_value = self._client(message)
        if call_type == "page":
            if not self.config.get("capturePageView", True):
                raise base.SkipMessage("page calls are turned off (capturePageView)")
            name, params = "page_view", self._page_params(message)
        elif call_type == "group":
            group_id = message.get("groupId")
            if not group_id:
                raise base.InvalidMessage("group has no groupId")
            name, params = "join_group", {"group_id": str(group_id)}
        else:
            name, params = self._track(message)
        params.setdefault("engagement_time_msec", 1)
        session = m.context(message).get("sessionId")
        if session is not None:
            params.setdefault("session_id", str(session))
        event = {"name": name, "params": _limit_params(params)}
        user = m.user_id(message)
        payload = {
            "event": event,
            "timestamp_micros": int(when.timestamp() * 1_000_000),
            "user_properties": self._user_properties(message),
        }
        route = orjson.dumps([client_key, client_value, user]).decode()
        return [base.VendorRecord(message_id, payload, route)]

    def _client(self, message: Mapping[str, Any]) -> tuple[str, str]:
        external = m.context(message).get("externalId")
        wanted = "ga4AppInstanceId" if self.app_stream else "ga4ClientId"
        for item in external if isinstance(external, list) else []:
            if isinstance(item, Mapping) and item.get("type") == wanted and item.get("id"):
                return ("app_instance_id" if self.app_stream else "client_id"), str(item["id"])
        if self.app_stream:
            options = message.get("integrations")
            for key in ("Google Firebase", "Google Analytics", "google_firebase"):
                value = options.get(key) if isinstance(options, Mapping) else None
                if isinstance(value, Mapping) and value.get("app_instance_id"):
                    return "app_instance_id", str(value["app_instance_id"])
            raise base.InvalidMessage(
                "app streams need the app's app_instance_id (context.externalId ga4AppInstanceId)"
            )
        anonymous = m.anonymous_id(message) or m.user_id(message)
        if not anonymous:
            raise base.InvalidMessage("GA4 needs a client_id (context.externalId ga4ClientId or anonymousId)")
        return "client_id", anonymous

    def _track(self, message: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        event = str(message.get("event") or "").strip()
        if not event:
            raise base.InvalidMessage("track has no event name")
        name = str(self.events_mapping.get(event) or ecommerce.recommended_event(event) or ga_name(event))
        if not name or name in RESERVED_EVENTS or name.startswith(RESERVED_PREFIXES):
            raise base.InvalidMessage(f"GA4 rejects the event name {name or event!r} (reserved or empty)")
        props = {k: v for k, v in m.properties(message).items() if k not in self.pii}
        params: dict[str, Any] = {}
        products = props.pop("products", None)
        if isinstance(products, list):
            params["items"] = ecommerce.items(products)
        elif name in ecommerce.SINGLE_ITEM_EVENTS:
            params["items"] = [ecommerce.item(props)]
        for source, target in (
            ("order_id", "transaction_id"),
            ("currency", "currency"),
            ("query", "search_term"),
            ("list_id", "item_list_id"),
            ("list_name", "item_list_name"),
        ):
            if props.get(source) is not None:
                params[target] = props.pop(source)
        for key in ("shipping", "tax"):
            if (amount := ecommerce.number(props.get(key))) is not None:
                params[key] = amount
        value = ecommerce.number(props.get("value", props.get("revenue", props.get("total"))))
        if value is not None:
            params["value"] = value
        for key, item in m.flatten(props).items():
            params.setdefault(ga_name(key), item)
        return name, params

    def _page_params(self, message: Mapping[str, Any]) -> dict[str, Any]:
        page = m.context(message).get("page")
        page = page if isinstance(page, Mapping) else {}
        props = m.properties(message)
        params = {
            "page_location": props.get("url") or page.get("url"),
            "page_title": props.get("title") or page.get("title") or message.get("name"),
            "page_referrer": props.get("referrer") or page.get("referrer"),
        }
        return {k: v for k, v in params.items() if v}

    def _user_properties(self, message: Mapping[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for key, value in m.flatten(m.user_traits(message)).items():
            if key in self.pii or value is None or len(props) >= MAX_USER_PROPERTIES:
                continue
            name = ga_name(key, MAX_USER_PROPERTY_NAME)
            if name and not name.startswith(RESERVED_PREFIXES):
                props[name] = {
                    "value": value if isinstance(value, int | float) else str(value)[:MAX_USER_PROPERTY_VALUE]
                }
        return props

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """One client's events (≤25) with the api secret in the query string."""
        client_key, client_value, user = orjson.loads(route)
        body: dict[str, Any] = {client_key: client_value}
        if user:
            body["user_id"] = user
        user_properties: dict[str, Any] = {}
        events = []
        for record in records:
            user_properties.update(record.payload["user_properties"])
            events.append({**record.payload["event"], "timestamp_micros": record.payload["timestamp_micros"]})
        body["timestamp_micros"] = min(r.payload["timestamp_micros"] for r in records)
        if user_properties:
            body["user_properties"] = dict(list(user_properties.items())[:MAX_USER_PROPERTIES])
        body["events"] = events
        stream = "firebase_app_id" if self.app_stream else "measurement_id"
        query = urlencode({stream: self.stream_id, "api_secret": str(self.connection.get("apiSecret") or "")})
        path = "/debug/mp/collect" if self.config.get("debugMode") else "/mp/collect"
        headers = {"Content-Type": "application/json"}
        return base.HttpRequest("POST", f"{self.base_url}{path}?{query}", headers, orjson.dumps(body))

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """2xx is success, except debug-mode validation messages, which drop the batch."""
        if 200 <= response.status < 300 and self.config.get("debugMode"):
            body = m.body_json(response.body)
            messages = body.get("validationMessages") if isinstance(body, Mapping) else None
            if messages:
                return base.Classification(
                    base.Outcome.DROP, error=f"GA4 validation: {orjson.dumps(messages).decode()}"
                )
        return base.default_classification(response)


def _limit_params(params: dict[str, Any]) -> dict[str, Any]:
    """≤25 parameters, string values ≤100 characters, containers dropped (except ``items``)."""
    limited: dict[str, Any] = {}
    for key, value in params.items():
        if len(limited) >= MAX_PARAMS:
            break
        if key == "items" or isinstance(value, bool | int | float):
            limited[key] = value
        elif isinstance(value, str):
            limited[key] = value[:MAX_VALUE]
    return limited

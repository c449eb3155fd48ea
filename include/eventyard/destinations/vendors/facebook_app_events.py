"""Facebook App Events: the Graph ``/{appID}/activities`` edge (form-encoded, one event per request),
or — when a ``datasetId`` is configured — the Conversions API with ``action_source: app``, Meta's
current recommendation, which also deduplicates on ``event_id`` = messageId.
See docs/destinations/facebook_app_events.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m
from eventyard.destinations.vendors import _meta_graph as graph

SKIP_REASONS = {
    "identify": "app events carry user data per event; there is no profile call",
    "page": "pages are web events: use the Facebook Pixel (Conversions API) destination",
    "group": "App Events has no group call",
    "alias": "App Events has no alias call",
}
APP_EVENTS = {
    "Application Opened": "fb_mobile_activate_app",
    "Product Viewed": "fb_mobile_content_view",
    "Product Added": "fb_mobile_add_to_cart",
    "Product Added to Wishlist": "fb_mobile_add_to_wishlist",
    "Products Searched": "fb_mobile_search",
    "Checkout Started": "fb_mobile_initiated_checkout",
    "Payment Info Entered": "fb_mobile_add_payment_info",
    "Order Completed": "fb_mobile_purchase",
    "Application Installed": "MOBILE_APP_INSTALL",
}
ACTIVITIES, CAPI = "activities", "capi"  # routes
MAX_NAME = 40


def app_event_name(name: str) -> str:
    """Meta's rule for custom app event names: ≤40 characters of letters, digits, ``_``, ``-`` and
    spaces, not starting with ``-`` or a space."""
    cleaned = re.sub(r"[^A-Za-z0-9_\- ]", "_", name).lstrip("- ")
    return cleaned[:MAX_NAME] or "_"


def extinfo(message: Mapping[str, Any]) -> list[str]:
    """The 16 positional device fields of the ``extinfo`` array."""
    ctx = m.context(message)
    app, os_, device = (ctx.get(k) if isinstance(ctx.get(k), dict) else {} for k in ("app", "os", "device"))
    screen = ctx.get("screen") if isinstance(ctx.get("screen"), dict) else {}
    network = ctx.get("network") if isinstance(ctx.get("network"), dict) else {}
    ios = str(os_.get("name", "")).lower() in ("ios", "ipados", "iphone os")
    return [
        "i2" if ios else "a2",
        str(app.get("namespace", "")),
        str(app.get("build", "")),
        str(app.get("version", "")),
        str(os_.get("version", "")),
        str(device.get("model", "")),
        str(ctx.get("locale", "")),
        "",  # timezone abbreviation
        str(network.get("carrier", "")),
        str(screen.get("width", "")),
        str(screen.get("height", "")),
        str(screen.get("density", "")),
        "",  # CPU cores
        "",  # external storage size (GB)
        "",  # free external storage (GB)
        str(ctx.get("timezone", "")),
    ]


class FacebookAppEvents(base.Integration):
    """Meta app events (activities edge, or Conversions API for apps)."""

    code = "facebook_app_events"
    call_types = frozenset({"track", "screen"})
    max_batch_events = 1000  # Conversions API; the activities edge takes one event (batch_limit)
    max_batch_bytes = 2_000_000
    secret_settings = frozenset({"accessToken"})
    base_url = graph.GRAPH_URL

    def batch_limit(self, route: str) -> int:
        """One event per ``/activities`` request; 1,000 per Conversions API request."""
        return 1 if route == ACTIVITIES else self.max_batch_events

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """track → mapped ``fb_mobile_*`` or custom event; screen → "Viewed {name} Screen"."""
        call_type = m.require_call_type(message, SKIP_REASONS)
        raw = str(message.get("event") or "") if call_type == "track" else m.page_name(message, "Screen")
        if not raw:
            raise base.InvalidMessage("app events need a name")
        name = APP_EVENTS.get(raw) or app_event_name(raw)
        device = m.context(message).get("device")
        device = device if isinstance(device, dict) else {}
        tracking = 1 if device.get("adTrackingEnabled") else 0
        props = {k: v for k, v in m.flatten(m.properties(message)).items() if v is not None}
        value = props.get("revenue", props.get("value"))
        currency = str(props.get("currency") or "")
        when = m.event_time(message)
        if m.setting(self, "datasetId"):
            return [
                base.VendorRecord(
                    m.message_id(message), self._capi(message, name, when, props, tracking), route=CAPI
                )
            ]
        form: dict[str, Any] = {
            "event": "MOBILE_APP_INSTALL" if name == "MOBILE_APP_INSTALL" else "CUSTOM_APP_EVENTS",
            "advertiser_tracking_enabled": tracking,
            "application_tracking_enabled": 1,
            "extinfo": m.json_bytes(extinfo(message)).decode(),
            "app_user_id": m.user_id(message),
        }
        if device.get("advertisingId"):
            form["advertiser_id"] = device["advertisingId"]
        else:
            form["anon_id"] = m.anonymous_id(message)  # Meta ignores it when advertiser_id is present
        if not (form.get("advertiser_id") or form.get("anon_id")):
            raise base.InvalidMessage("App Events need context.device.advertisingId or an anonymousId")
        for key, hashed in graph.hashed_user_data(message).items():
            form[f"ud[{key}]"] = hashed
        if name != "MOBILE_APP_INSTALL":
            custom = {**props, "_eventName": name, "_logTime": m.unix_seconds(when)}
            if isinstance(value, int | float):
                custom["_valueToSum"] = value
            if currency:
                custom["fb_currency"] = currency.upper()
            form["custom_events"] = m.json_bytes([custom]).decode()
        if m.setting(self, "limitedDataUse", False):
            form.update(
                data_processing_options='["LDU"]',
                data_processing_options_country=int(m.setting(self, "dpoCountry", 0)),
                data_processing_options_state=int(m.setting(self, "dpoState", 0)),
            )
        return [
            base.VendorRecord(
                m.message_id(message), {k: v for k, v in form.items() if v is not None}, route=ACTIVITIES
            )
        ]

    def _capi(
        self, message: Mapping[str, Any], name: str, when: Any, props: dict[str, Any], tracking: int
    ) -> dict[str, Any]:
        device = m.context(message).get("device") or {}
        user: dict[str, Any] = {k: [v] for k, v in graph.hashed_user_data(message).items()}
        if isinstance(device, dict) and device.get("advertisingId"):
            user["madid"] = device["advertisingId"]
        if m.anonymous_id(message):
            user["anon_id"] = m.anonymous_id(message)
        external = graph.external_id(message)
        if external:
            user["external_id"] = [external]
        return {
            "event_name": name,
            "event_time": m.unix_seconds(when),
            "event_id": m.message_id(message),
            "action_source": "app",
            "app_data": {
                "advertiser_tracking_enabled": tracking,
                "application_tracking_enabled": 1,
                "extinfo": extinfo(message),
            },
            "user_data": user,
            "custom_data": props,
        }

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """Form POST to ``/{appID}/activities``, or JSON POST to ``/{datasetId}/events``."""
        token = m.setting(self, "accessToken")
        if route == CAPI:
            body: dict[str, Any] = {
                "data": [r.payload for r in records],
                "access_token": m.required_setting(self, "accessToken"),
            }
            url = f"{self.base_url}/{graph.GRAPH_VERSION}/{m.required_setting(self, 'datasetId')}/events"
            return base.HttpRequest("POST", url, {"Content-Type": "application/json"}, m.json_bytes(body))
        (record,) = records
        form = {k: str(v) for k, v in record.payload.items()}
        if token:
            form["access_token"] = str(token)
        url = f"{self.base_url}/{graph.GRAPH_VERSION}/{m.required_setting(self, 'appID')}/activities"
        return base.HttpRequest(
            "POST", url, {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(form).encode()
        )

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """Graph error codes (see ``_meta_graph.classify_graph``)."""
        return graph.classify_graph(response, records)

    def redact(self, text: str) -> str:
        """Also hide the token in its URL-encoded form (``|`` becomes ``%7C`` in form bodies)."""
        return m.redact_encoded(self, super().redact(text))

"""``clickstreamPrototypes`` tells a UI how each destination runs in the browser: its plugin
(ours or Segment's maintained one), consent category, connection modes and public settings."""

from __future__ import annotations

from eventyard.settings import Settings
from tests.houston.conftest import Api, make_account

QUERY = """{ clickstreamPrototypes { integrationCode
  deviceMode { plugin source consentCategory modes defaultMode publicFields tagUrl }
  connectionPrototype { fields { propertyName secret public } }
  configPrototype { fields { propertyName default options } } } }"""


def test_prototypes_show_device_mode(api: Api, settings: Settings) -> None:
    token = make_account(settings, "ui@shop.test").token
    protos = {p["integrationCode"]: p for p in api.one(QUERY, token=token)}
    assert protos["hotjar"]["deviceMode"] == {
        "plugin": "hotjar",
        "source": "eventyard",
        "consentCategory": "Analytics",
        "modes": ["device"],
        "defaultMode": "device",
        "publicFields": ["siteID"],
        "tagUrl": "https://static.hotjar.com/c/hotjar-{siteID}.js?sv=6",
    }
    ga4 = protos["google_analytics"]["deviceMode"]
    assert ga4["source"] == "@segment/browser-destinations" and ga4["modes"] == ["cloud", "device"]
    meta = protos["facebook_pixel"]
    assert meta["deviceMode"]["modes"] == ["cloud", "device", "hybrid"]
    mode = meta["configPrototype"]["fields"][0]  # the choice appears as a select in the config form
    assert mode == {
        "propertyName": "connectionMode",
        "default": "cloud",
        "options": ["cloud", "device", "hybrid"],
    }
    token_field = next(
        f for f in protos["mixpanel"]["connectionPrototype"]["fields"] if f["propertyName"] == "token"
    )
    assert token_field == {"propertyName": "token", "secret": False, "public": True}
    for code in ("webhooks", "postgres", "google_firebase"):
        assert protos[code]["deviceMode"] is None

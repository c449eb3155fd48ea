"""Google Firebase: GA4 app streams through the Measurement Protocol.

Firebase has no other server-side ingestion. Requests carry ``firebase_app_id`` and the app's
``app_instance_id`` (``FirebaseAnalytics.getAppInstanceId()``), which the app must pass up in
``context.externalId`` (type ``ga4AppInstanceId``) or ``integrations["Google Firebase"]
.app_instance_id``; it cannot be invented, so events without it are dead-lettered with that
reason. Mapping, limits and skips are GA4's (``google_analytics.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventyard.destinations.vendors.google_analytics import GoogleAnalytics


class GoogleFirebase(GoogleAnalytics):
    """GA4 app streams."""

    code = "google_firebase"

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        super().__init__({**connection, "typesOfClient": "firebase"}, config)

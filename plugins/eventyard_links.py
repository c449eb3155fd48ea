"""Airflow UI links to Eventyard: Houston's GraphQL explorer and the collector's live debugger.

Wiring only; what the links are and where they lead lives in ``eventyard.airflow_links``.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from eventyard.airflow_links import URL_PREFIX, redirect_app
from eventyard.airflow_links import external_views as eventyard_views
from eventyard.settings import get_settings


class EventyardLinksPlugin(AirflowPlugin):
    """Adds an "Eventyard" menu and a "Live debugger" tab on task instances."""

    name = "eventyard_links"
    external_views = eventyard_views(get_settings())
    fastapi_apps = [
        {"app": redirect_app(get_settings()), "url_prefix": URL_PREFIX, "name": "Eventyard links"}
    ]

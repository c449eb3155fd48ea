"""The Airflow UI plugin links to the quality checks' Data Docs and serves them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from eventyard.airflow_links import URL_PREFIX, external_views, redirect_app
from eventyard.settings import Settings
from eventyard.warehouse.quality.paths import data_docs_index


def test_the_plugin_links_and_serves_the_data_docs(sqlite_settings: Settings) -> None:
    (link,) = [v for v in external_views(sqlite_settings) if v["name"] == "Quality Data Docs"]
    assert link["destination"] == "nav" and link["href"] == f"{URL_PREFIX}/data-docs/index.html"
    client = TestClient(redirect_app(sqlite_settings))
    assert client.get("/data-docs/index.html").status_code == 404  # no round has run yet
    index = data_docs_index(sqlite_settings)
    index.parent.mkdir(parents=True)
    index.write_text("<html>Data Docs of the last rounds</html>")
    page = client.get(link["href"].removeprefix(URL_PREFIX))
    assert page.status_code == 200 and "Data Docs of the last rounds" in page.text
    assert client.get("/data-docs/..%2F..%2F..%2Fcontrol.db").status_code == 404  # nothing outside

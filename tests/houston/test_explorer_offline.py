"""Houston's GraphQL explorer loads everything from Houston itself: it works without internet.

Every script and stylesheet of the page is fetched from the app and checked against the
page's own Subresource Integrity hash, exactly what a browser does before running it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.testclient import TestClient

from eventyard.houston.app import create_app
from eventyard.settings import Settings

ASSET = re.compile(r'(?:src|href)="([^"]+)"\s+integrity="(sha384-[^"]+)"')


def test_explorer_assets_are_served_locally_and_match_their_integrity_hashes(
    sqlite_settings: Settings,
) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        page = client.get("/graphql", headers={"accept": "text/html"}).text
        assert "unpkg.com" not in page and "cdn." not in page
        assets = ASSET.findall(page.replace("\n      integrity", " integrity"))
        assert len(assets) >= 7, page[:2000]
        names = {url.rsplit("/", 1)[-1] for url, _ in assets}
        assert {"graphiql.min.js", "graphiql.min.css", "react.production.min.js"} <= names
        for url, integrity in assets:
            assert url.startswith("/graphql-ide/"), url
            response = client.get(url)
            assert response.status_code == 200, url
            digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
            assert integrity == f"sha384-{digest}", f"{url} is not the file the page was written for"
            assert response.headers["content-type"].split(";")[0] in {"text/javascript", "text/css"}
        # Only what the page references is served: node_modules is not browsable.
        assert client.get("/graphql-ide/react/package.json").status_code == 404
        assert client.get("/graphql-ide/../../pyproject.toml").status_code == 404

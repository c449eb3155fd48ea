"""The GraphQL explorer (GraphiQL) served from pinned npm packages, so it works offline.

Strawberry's GraphiQL page loads React, GraphiQL and its explorer plugin from unpkg.com; on a
machine without internet access (or behind a strict proxy) it stays on "Loading...". Here the
same files come from ``node_modules`` (pinned in package.json, installed by ``npm ci`` in
``make setup``, like the collector's analytics.js) under ``/graphql-ide/``. The page keeps
Strawberry's Subresource Integrity hashes: the browser checks that our copies are the very
files Strawberry's page was written for.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

import eventyard
from eventyard.errors import FatalError
from eventyard.houston.gql.router import HoustonRouter

ASSET_PREFIX = "/graphql-ide"
_UNPKG = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/([\w./-]+)")
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


class ExplorerAssetsMissing(FatalError, RuntimeError):
    """A package GraphiQL needs is not installed, or not at the version the page expects."""


def node_modules_dirs() -> list[Path]:
    """Where ``node_modules`` may be: next to the source checkout, or under the working directory."""
    return [Path(eventyard.__file__).resolve().parents[2] / "node_modules", Path.cwd() / "node_modules"]


def _installed(package: str, version: str) -> Path:
    for folder in node_modules_dirs():
        manifest = folder / package / "package.json"
        if manifest.is_file() and json.loads(manifest.read_text()).get("version") == version:
            return folder / package
    raise ExplorerAssetsMissing(
        f"{package}@{version} is not installed: run `make setup` (npm ci installs the explorer's packages)"
    )


@lru_cache(maxsize=1)
def _page_and_files() -> tuple[str, dict[str, Path]]:
    """Strawberry's GraphiQL page pointed at our copies, and the files it may ask for."""
    from strawberry.http.ides import get_graphql_ide_html

    files: dict[str, Path] = {}

    def local(match: re.Match[str]) -> str:
        package, version, path = match.groups()
        file = _installed(package, version) / path
        if not file.is_file():
            raise ExplorerAssetsMissing(f"{package}@{version} has no {path}")
        files[f"{package}/{path}"] = file
        return f"{ASSET_PREFIX}/{package}/{path}"

    page = _UNPKG.sub(local, get_graphql_ide_html(graphql_ide="graphiql"))
    if "unpkg.com" in page or "cdn." in page:
        raise ExplorerAssetsMissing("the GraphiQL page still loads from a CDN")
    return page, files


def explorer_html() -> str:
    """The explorer page, loading everything from this server."""
    return _page_and_files()[0]


class OfflineGraphQLRouter(HoustonRouter):
    """Houston's GraphQL router (JSON depth bound) whose explorer page loads its assets from this server."""

    @property
    def graphql_ide_html(self) -> str:
        """The GraphiQL page (Strawberry's own, with local asset URLs)."""
        return explorer_html()


def explorer_assets_router() -> APIRouter:
    """``GET /graphql-ide/<package>/<file>``: only the files the explorer page references."""
    router = APIRouter()

    @router.get(ASSET_PREFIX + "/{asset:path}", include_in_schema=False)
    def asset(asset: str) -> Response:
        file = _page_and_files()[1].get(asset)
        if file is None:
            raise HTTPException(404)
        return Response(
            file.read_bytes(),
            media_type=_TYPES.get(file.suffix, "application/octet-stream"),
            headers={"cache-control": "public, max-age=86400"},
        )

    return router

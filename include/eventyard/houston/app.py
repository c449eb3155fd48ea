"""The Houston FastAPI application: GraphQL at ``/graphql``, emailed-link pages, ``/healthz``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from eventyard.catalog import load_catalog
from eventyard.db.engine import get_engine
from eventyard.houston.body_limit import BodyLimit
from eventyard.houston.explorer import OfflineGraphQLRouter, explorer_assets_router
from eventyard.houston.gql.context import make_context_getter
from eventyard.houston.gql.schema import build_schema
from eventyard.houston.links import links_router
from eventyard.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Nothing connects to the database until the first request."""
    settings = settings or get_settings()
    engine = get_engine(settings)
    load_catalog()  # validates the destination data now, not on the first request
    app = FastAPI(title="Eventyard Houston", docs_url=None, redoc_url=None, openapi_url=None)
    # GraphiQL's assets come from pinned npm packages served here, never from a CDN.
    graphql = OfflineGraphQLRouter(
        build_schema(settings),
        graphql_ide="graphiql" if settings.graphql_explorer else None,
        context_getter=make_context_getter(settings, engine),
    )
    app.include_router(graphql, prefix="/graphql")
    if settings.graphql_explorer:
        app.include_router(explorer_assets_router())
    app.add_middleware(BodyLimit)
    app.include_router(links_router(settings, engine))

    def _ping() -> None:
        with engine.connect() as conn:
            conn.execute(text("select 1"))

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            await run_in_threadpool(_ping)
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app

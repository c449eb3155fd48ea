"""What the Airflow UI plugin (``plugins/eventyard_links.py``) shows: links into Eventyard.

- In the navigation bar, under "Eventyard": Houston's GraphQL explorer, the live debugger, and
  the quality checks' Great Expectations Data Docs (served from the home's GX project).
- On every task instance: "Live debugger", which opens the collector's debugger for the source
  that task loaded. A mapped ``load_warehouses`` task returns its ``source_id`` in its XCom, so a
  small redirect app (mounted by the plugin under ``/eventyard``) looks it up.

Nothing here touches a database or the network at import time; the redirect reads Airflow's
metadata DB only when a link is followed.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from eventyard.settings import Settings

URL_PREFIX = "/eventyard"
SOURCE_ID_KEY = "source_id"


def external_views(settings: Settings) -> list[dict[str, Any]]:
    """The plugin's ``external_views``: nav links and the per-task-instance debugger link."""
    return [
        {
            "name": "Houston explorer",
            "href": f"{settings.public_url.rstrip('/')}/graphql",
            "destination": "nav",
            "category": "Eventyard",
        },
        {
            "name": "Live debugger",
            "href": f"{URL_PREFIX}/debugger",
            "destination": "nav",
            "category": "Eventyard",
        },
        {
            "name": "Quality Data Docs",
            "href": f"{URL_PREFIX}/data-docs/index.html",
            "destination": "nav",
            "category": "Eventyard",
        },
        {
            "name": "Live debugger",
            "href": f"{URL_PREFIX}/debugger/{{DAG_ID}}/{{RUN_ID}}/{{TASK_ID}}/{{MAP_INDEX}}",
            "destination": "task_instance",
            # Airflow 3.3's UI shows a task-instance tab only for views with a route of their own
            # (it renders the href in a frame under /plugin/<url_route>).
            "url_route": "eventyard-debugger",
        },
    ]


def debugger_url(settings: Settings, source_id: str) -> str:
    """The collector's live debugger page for one source."""
    return f"{settings.collector_public_url.rstrip('/')}/debugger/{quote(source_id, safe='')}"


def source_id_of_task(dag_id: str, run_id: str, task_id: str, map_index: int) -> str | None:
    """The ``source_id`` a task instance returned in its XCom, if any (reads Airflow's DB)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(
            run_id=run_id, key="return_value", task_ids=task_id, dag_ids=dag_id, map_indexes=map_index
        )
        row = session.scalars(query.limit(1)).first()
        value = XComModel.deserialize_value(row) if row is not None else None
    if isinstance(value, dict) and isinstance(value.get(SOURCE_ID_KEY), str):
        return str(value[SOURCE_ID_KEY])
    return None


def redirect_app(settings: Settings) -> Any:
    """The small FastAPI app the plugin mounts under ``/eventyard`` (links need a server side)."""
    from fastapi import FastAPI, Query
    from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

    from eventyard.warehouse.quality.paths import data_docs_index

    app = FastAPI(title="Eventyard links", docs_url=None, redoc_url=None, openapi_url=None)
    docs = data_docs_index(settings).parent

    @app.get("/data-docs/{path:path}", response_model=None)
    def data_docs(path: str) -> Response:
        """The quality checks' Great Expectations Data Docs (each round with GX rewrites them)."""
        wanted = (docs / (path or "index.html")).resolve()
        if not wanted.is_relative_to(docs.resolve()) or not wanted.is_file():
            return HTMLResponse(
                "<!doctype html><p>No Data Docs here yet: they are written by the quality rounds that "
                "run Great Expectations (the <code>quality_checks</code> DAG, "
                "<code>eventyard quality --once</code>).</p>",
                status_code=404,
            )
        return FileResponse(wanted)

    @app.get("/debugger", response_model=None)
    def debugger_form(source_id: str | None = Query(None)) -> Response:
        if source_id:
            return RedirectResponse(debugger_url(settings, source_id), status_code=307)
        houston = html.escape(f"{settings.public_url.rstrip('/')}/graphql")
        return HTMLResponse(
            "<!doctype html><title>Eventyard live debugger</title><h1>Live debugger</h1>"
            "<form><label>Source id (write key) <input name=source_id required></label>"
            "<button>Open</button></form>"
            f"<p>Find your sources in the <a href='{houston}'>Houston explorer</a>; the debugger asks "
            "for a Houston token. From a <code>load_warehouses</code> task instance, the "
            "&ldquo;Live debugger&rdquo; tab opens the right source directly.</p>"
        )

    @app.get("/debugger/{dag_id}/{run_id}/{task_id}/{map_index}", response_model=None)
    def debugger_for_task(dag_id: str, run_id: str, task_id: str, map_index: int) -> Response:
        source_id = source_id_of_task(dag_id, run_id, task_id, map_index)
        if source_id is None:
            return HTMLResponse(
                "<!doctype html><p>This task instance did not load a source; open the "
                f"<a href='{URL_PREFIX}/debugger'>live debugger</a> by source id instead.</p>",
                status_code=404,
            )
        return RedirectResponse(debugger_url(settings, source_id), status_code=307)

    return app

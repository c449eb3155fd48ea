"""ASGI entry point of the collector for deployments: ``uvicorn api.collector:app --loop uvloop
--http eventyard.collector.http_protocol:BoundedHttpToolsProtocol`` (httptools with the header
size and header-read time limits, docs/collector.md).

Settings come from ``EVENTYARD_*`` environment variables; each process opens its own spool
slot in the lifespan. ``eventyard collector`` runs the same app with the migration first.
"""

from eventyard.collector.app import create_app

app = create_app()

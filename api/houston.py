"""ASGI entry point for deployments: ``uvicorn api.houston:app``.

Building the app reads settings and the destination catalog but opens no database
connection, so importing this module is safe anywhere (workers connect on first request).
"""

from eventyard.houston.app import create_app

app = create_app()

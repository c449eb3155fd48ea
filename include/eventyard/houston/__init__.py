"""Houston: the GraphQL control plane (users, organizations, sources, connections, integrations).

``create_app(settings)`` in :mod:`eventyard.houston.app` builds the FastAPI application.  The
GraphQL layer (``gql/``) only translates between the schema and the service layer
(``services/``), which owns every database read and write.
"""

"""Houston's service layer: every read and write of the control DB, one module per resource.

Each service function takes a :class:`~eventyard.houston.services.unit.Unit` (session,
settings, the authenticated actor, the outbox) and raises
:class:`~eventyard.houston.codes.HoustonError` for expected failures.
"""

"""Houston's ``qualityResults``: the latest round per integration, for a User of its organization
(the isolation suite, tests/houston/test_isolation.py, shows other organizations see nothing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Integration, Membership, Role
from eventyard.houston.app import create_app
from tests.houston.conftest import Api, make_account
from tests.quality.conftest import NOW, check_round, execute
from tests.warehouse.conftest import Warehouse

RESULTS = """query($i: ID) { qualityResults(integrationId: $i) {
    integrationId runId runAt schemaName passed failed error
    results { check table observed threshold passed detail } } }"""


@pytest.fixture
def houston(loaded: Warehouse) -> Iterator[Api]:
    """Houston on the warehouse's control DB."""
    with TestClient(create_app(loaded.settings)) as client:
        yield Api(client)


def test_a_user_sees_the_latest_round_of_each_integration(loaded: Warehouse, houston: Api) -> None:
    account = make_account(loaded.settings, "analyst@example.com")
    with session_scope(get_engine(loaded.settings)) as session:
        integration = session.get(Integration, loaded.integration_id)
        assert integration is not None
        org_id = integration.org_id
        session.add(Membership(org_id=org_id, user_id=account.user_id, role=Role.USER))
    auth = {"token": account.token, "org": org_id}
    assert houston.one(RESULTS, {}, **auth) == []  # no round yet

    first = check_round(loaded)
    execute(loaded, f'DELETE FROM "{loaded.schema}"."pages" WHERE "id" = \'a-p1\'')
    second = check_round(loaded, NOW.replace(minute=31))
    (latest,) = houston.one(RESULTS, {"i": loaded.integration_id}, **auth)
    assert latest["runId"] == second.run_id != first.run_id
    assert (latest["passed"], latest["failed"], latest["schemaName"]) == (False, 1, loaded.schema)
    (failure,) = [r for r in latest["results"] if not r["passed"]]
    assert (failure["check"], failure["table"], failure["observed"]) == ("completeness", "pages", 1.0)
    assert len(latest["results"]) == len(second.results)
    assert houston.one(RESULTS, {}, **auth) == [latest]

"""Conversion APIs through the production path: landed Parquet batches, ``deliver_once`` with
the settings from the control DB (catalog defaults merged), the OAuth token fetched inside the
cycle, per-row failures in the dead-letter table, and replay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.cycle import deliver_once
from eventyard.destinations.models import DeliveryDeadLetter
from eventyard.destinations.replay import replay_dead_letters
from eventyard.destinations.vendors.google_adwords import GoogleAds
from eventyard.destinations.vendors.taboola import Taboola
from eventyard.settings import Settings
from tests.destinations.conversions.helpers import TokenEndpoint, token_server
from tests.destinations.conversions.test_google_adwords import DEV_TOKEN, GoogleAdsApi
from tests.destinations.conversions.test_postbacks import CASES
from tests.destinations.pipeline import add_integration, land, message
from tests.destinations.receivers import VendorReceiver, running


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleAdsApi]:
    endpoint = TokenEndpoint("cid", "csecret", "1//rt")
    with token_server(endpoint) as tokens, running(api := GoogleAdsApi(endpoint)) as receiver:
        monkeypatch.setattr(GoogleAds, "base_url", receiver.url)
        monkeypatch.setattr(GoogleAds, "token_url", f"{tokens.url}/token")
        yield api


@pytest.fixture
def taboola(monkeypatch: pytest.MonkeyPatch) -> Iterator[VendorReceiver]:
    contract = CASES["taboola"][2]
    contract.seen.clear()
    with running(contract) as receiver:
        monkeypatch.setattr(Taboola, "base_url", receiver.url)
        yield receiver


def test_landed_conversions_reach_google_ads_and_taboola(
    settings: Settings, org_source: tuple[str, str], google: GoogleAdsApi, taboola: VendorReceiver
) -> None:
    connection = {
        "customerId": "1234567890",
        "developerToken": DEV_TOKEN,
        "oauthClientId": "cid",
        "oauthClientSecret": "csecret",
        "refreshToken": "1//rt",
    }
    google_id = add_integration(
        settings,
        *org_source,
        "google_adwords",
        connection,
        {"eventsToConversionsNamesMapping": {"Order Completed": "111"}},
    )
    add_integration(
        settings, *org_source, "taboola", {}, {"eventNameMapping": {"Order Completed": "purchase"}}
    )
    messages = [
        message("track", n, context={"ip": "203.0.113.7", "clickIds": {"gclid": f"g{n}", "tblci": f"t{n}"}})
        for n in range(6)
    ]
    messages[4]["context"]["clickIds"]["gclid"] = "not-a-gclid"
    messages.append(message("identify", 9))
    land(settings, org_source[1], messages)

    report = deliver_once(settings)
    by_code = {r.code: r for r in report.integrations}
    assert (by_code["google_adwords"].delivered, by_code["google_adwords"].dead_lettered) == (5, 1)
    assert by_code["google_adwords"].skipped == 1 and by_code["taboola"].delivered == 6
    assert sorted(google.conversions) == [f"o_{n}" for n in (0, 1, 2, 3, 5)]
    assert len(taboola.accepted) == 6
    with session_scope(get_engine(settings)) as session:
        (dead,) = session.scalars(select(DeliveryDeadLetter)).all()
        assert dead.message_id == messages[4]["messageId"] and "UNPARSEABLE_GCLID" in dead.error
        assert "1//rt" not in dead.error and DEV_TOKEN not in dead.error

    with session_scope(get_engine(settings)) as session:
        assert replay_dead_letters(session, org_source[0], google_id) == 1
    google.conversions.clear()  # the customer fixed nothing: replay gets the same answer, once
    again = {r.code: r for r in deliver_once(settings).integrations}
    assert again["google_adwords"].dead_lettered == 1 and again["taboola"].delivered == 0

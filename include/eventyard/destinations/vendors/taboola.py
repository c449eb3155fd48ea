"""Taboola: S2S conversions (``GET trc.taboola.com/actions-handler/log/3/s2s-action``).

One request per conversion, keyed by the ``tblci`` click id Taboola appends to the landing URL
(captured by the browser plugin into ``context.clickIds``, or read from the page URL). ``name``
must equal a conversion defined in Taboola Ads (``eventNameMapping`` renames events);
``revenue``, ``currency``, ``orderid`` (Taboola's dedupe key) and ``quantity`` go along. No
credentials: the click id identifies the account. See docs/destinations/taboola.md.
"""

from __future__ import annotations

from eventyard.destinations.vendors._postback import PostbackIntegration


class Taboola(PostbackIntegration):
    """Taboola server-to-server conversions."""

    code = "taboola"
    base_url = "https://trc.taboola.com"
    path = "/actions-handler/log/3/s2s-action"
    vendor_name = "Taboola"
    click_param = "tblci"
    names = ("click-id", "name")
    mapping_setting = "eventNameMapping"
    extra = {"value": "revenue", "currency": "currency", "order": "orderid", "quantity": "quantity"}

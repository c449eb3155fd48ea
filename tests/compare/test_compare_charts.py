"""The inline SVG chart: one bar per side and hour, flagged hours on a band, a week still fits a page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from eventyard.compare.charts import FLAG_COLOR, hourly_bars
from eventyard.compare.model import Counts, HourRow

START = datetime(2024, 3, 1, tzinfo=UTC)


def _hours(n: int, flagged: int) -> list[HourRow]:
    return [
        HourRow(
            START + timedelta(hours=i), Counts(100), Counts(0 if i == flagged else 100), None, i == flagged
        )
        for i in range(n)
    ]


def test_a_day_has_two_bars_per_hour_and_the_flagged_hour_is_banded() -> None:
    svg = hourly_bars(_hours(24, flagged=10), "tracks & <pages>")
    root = ElementTree.fromstring(svg)  # well-formed, escaped title
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}rect")
    assert len(rects) == 24 * 2 + 1
    assert [r.get("fill") for r in rects].count(FLAG_COLOR) == 1
    assert root.find(f"{ns}title").text == "tracks & <pages>"  # type: ignore[union-attr]
    assert "2024-03-01 10:00 Eventyard: 0" in svg


def test_a_week_of_hours_stays_page_wide() -> None:
    svg = hourly_bars(_hours(24 * 7, flagged=50), "a week")
    width = int(re.search(r'width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    assert width <= 1100
    assert hourly_bars([], "nothing") == ""

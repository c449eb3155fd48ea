"""An integration's quality thresholds: its config fields, with the catalog's defaults.

The fields (``qualityWindowHours``, ``qualityTimestampSkewHours`` ...) are declared once, in the
catalog's warehouse entries (``eventyard/catalog/destinations.json``), so Houston validates and
serves them like any other setting; this module only reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from eventyard.catalog import load_catalog
from eventyard.errors import BadInputError


class BadThreshold(BadInputError, ValueError):
    """A quality setting that cannot be used (negative, not a number)."""


@dataclass(frozen=True)
class Thresholds:
    """What the checks compare against (see docs/quality.md)."""

    enabled: bool = True
    great_expectations: bool = False
    window: timedelta = timedelta(hours=24)
    timestamp_skew: timedelta = timedelta(hours=720)
    freshness: timedelta = timedelta(minutes=1440)
    volume_factor: float = 3.0
    volume_min_rows: float = 10.0
    discards_rate_max: float = 0.05
    alert_emails: tuple[str, ...] = ()
    alert_webhook: str | None = None

    @classmethod
    def for_integration(cls, code: str, config: Mapping[str, Any]) -> Thresholds:
        """The thresholds of an integration: its config over the catalog defaults of its code."""
        try:
            defaults = load_catalog().get(code).config_defaults()
        except KeyError:
            defaults = {}
        merged = {**defaults, **{k: v for k, v in config.items() if v not in (None, "")}}
        return cls(
            enabled=bool(merged.get("qualityChecks", True)),
            great_expectations=bool(merged.get("qualityGreatExpectations", False)),
            window=timedelta(hours=_number(merged, "qualityWindowHours", 24)),
            timestamp_skew=timedelta(hours=_number(merged, "qualityTimestampSkewHours", 720)),
            freshness=timedelta(minutes=_number(merged, "qualityFreshnessMinutes", 1440)),
            volume_factor=_number(merged, "qualityVolumeFactor", 3),
            volume_min_rows=_number(merged, "qualityVolumeMinRows", 10),
            discards_rate_max=_number(merged, "qualityDiscardsRateMax", 0.05),
            alert_emails=tuple(str(e) for e in merged.get("qualityAlertEmails") or ()),
            alert_webhook=str(merged["qualityAlertWebhook"]) if merged.get("qualityAlertWebhook") else None,
        )


def _number(config: Mapping[str, Any], name: str, default: float) -> float:
    value = config.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BadThreshold(f"{name} must be a number >= 0, not {value!r}")
    return float(value)

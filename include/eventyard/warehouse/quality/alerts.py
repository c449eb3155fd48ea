"""Alerts when a quality round fails: a mail to each address of ``qualityAlertEmails`` (SMTP, or
the outbox without it) and a JSON POST to ``qualityAlertWebhook`` (Slack-style incoming webhooks
take the ``text`` field; other receivers get the whole report beside it).

The ``quality_checks`` DAG calls ``on_task_failure`` as its tasks' failure callback; an alert
that cannot be delivered is logged, never raised, so it cannot hide the failure it reports.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from eventyard.errors import FatalError
from eventyard.mail import Mail, send_mail
from eventyard.settings import Settings, get_settings
from eventyard.warehouse.quality.results import QualityReport
from eventyard.warehouse.quality.thresholds import Thresholds

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_S = 10.0


class QualityCheckFailed(FatalError, RuntimeError):
    """A quality round failed: the task fails, and the failure callback alerts with the report."""

    def __init__(self, report: QualityReport) -> None:
        super().__init__(report.summary())
        self.report = report


def send_alerts(settings: Settings, report: QualityReport) -> int:
    """Mail and POST the failed round to the integration's alert targets; returns how many went out."""
    limits = Thresholds.for_integration(report.code, report.config)
    subject = f"Eventyard quality: {len(report.failures)} checks failed on {report.schema}"
    body = "\n".join([report.summary(), "", *report.lines()])
    sent = 0
    for address in limits.alert_emails:
        try:
            send_mail(settings, Mail(to=address, subject=subject, body=body, kind="quality-alert"))
            sent += 1
        except Exception:
            log.exception("quality alert mail to %s failed", address)
    if limits.alert_webhook:
        payload = {"text": f"{subject}\n{report.summary()}", "report": report.to_dict()}
        try:
            httpx.post(limits.alert_webhook, json=payload, timeout=WEBHOOK_TIMEOUT_S).raise_for_status()
            sent += 1
        except httpx.HTTPError:
            log.exception("quality alert webhook %s failed", limits.alert_webhook)
    return sent


def on_task_failure(context: Mapping[str, Any]) -> None:
    """Airflow failure callback of the ``check`` tasks: alert with the failed round's report."""
    exc = context.get("exception")
    if isinstance(exc, QualityCheckFailed):
        send_alerts(get_settings(), exc.report)

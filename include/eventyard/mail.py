"""Outgoing mail: SMTP when configured, otherwise an ``.eml`` file in the outbox.

Without SMTP (the local default) each message is written to ``settings.outbox_dir`` and its
link is logged, so a person can click it and a test can follow it.
"""

from __future__ import annotations

import email.policy
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from eventyard.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """One message to send after the transaction that produced it has committed."""

    to: str
    subject: str
    body: str
    link: str | None = None
    kind: str = "notice"


def _message(settings: Settings, mail: Mail) -> EmailMessage:
    # Links must stay on one unencoded line so a person (or a test) can copy them from the .eml.
    msg = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    msg["From"] = settings.mail_from
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["X-Eventyard-Kind"] = mail.kind
    msg.set_content(mail.body, cte="7bit")
    return msg


def send_mail(settings: Settings, mail: Mail) -> Path | None:
    """Deliver one mail; returns the ``.eml`` path when written to the outbox."""
    msg = _message(settings, mail)
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(
                    settings.smtp_username,
                    settings.smtp_password.get_secret_value() if settings.smtp_password else "",
                )
            smtp.send_message(msg)
        log.info("mail %s sent to %s via %s", mail.kind, mail.to, settings.smtp_host)
        return None
    outbox = settings.outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{mail.kind}-{secrets.token_hex(4)}.eml"
    path.write_bytes(bytes(msg))
    log.warning("mail %s to %s written to %s; link: %s", mail.kind, mail.to, path, mail.link)
    return path

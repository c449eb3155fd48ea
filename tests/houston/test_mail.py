"""Mail delivery through a real SMTP conversation (a minimal receiver on loopback), and the outbox."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from eventyard.mail import Mail, send_mail
from eventyard.settings import Settings


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept one message per connection."""

    def handle(self) -> None:
        received: list[bytes] = self.server.received  # type: ignore[attr-defined]
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    body += chunk
                received.append(body)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 not implemented\r\n")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    """An SMTP receiver on 127.0.0.1 and a free port; yields (port, received messages)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], server.received  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


LINK = "http://127.0.0.1:8000/account/confirm?token=" + "t" * 43
MAIL = Mail(
    to="someone@example.com", subject="Confirm", body=f"Confirm:\n\n{LINK}\n", link=LINK, kind="confirm_email"
)


def test_smtp_is_used_when_configured(tmp_path: Path, smtp_server: tuple[int, list[bytes]]) -> None:
    port, received = smtp_server
    settings = Settings(home=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    assert send_mail(settings, MAIL) is None
    (raw,) = received
    message = message_from_bytes(raw)
    assert message["To"] == "someone@example.com" and message["X-Eventyard-Kind"] == "confirm_email"
    assert LINK in message.get_payload()
    assert not settings.outbox_dir.exists()


def test_without_smtp_the_mail_lands_in_the_outbox_with_a_clickable_link(tmp_path: Path) -> None:
    path = send_mail(Settings(home=tmp_path), MAIL)
    assert path is not None and path.parent == (tmp_path / "outbox").resolve()
    text = path.read_text()
    assert f"\n{LINK}\n" in text and "\r" not in text

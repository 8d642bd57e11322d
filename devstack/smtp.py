"""The local stack's SMTP server: what the `smtp` mail adapter talks to on this machine.

The AWS China stage sends mail through an SMTP relay (no SES there). Locally an aiosmtpd server
on a free loopback port stands in for it, with a generated account (so the adapter's login is
exercised), and keeps every message it receives for the local mailbox page (`/_dev/mail`).
Loopback only, without TLS: the adapter allows that for a loopback host alone.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import warnings
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# Plain AUTH is what this loopback-only server is for (the adapter refuses it for other hosts).
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS", category=UserWarning)


class Mailbox:
    """Messages received, parsed to {"to", "subject", "body"}."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        part = msg.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        with self._lock:
            self._mails.append({"to": list(envelope.rcpt_tos), "subject": str(msg.get("Subject", "")),
                                "body": body, "via": "smtp"})
        return "250 Message accepted for delivery"

    def mails(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._mails)


class _Account:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.username
              and auth_data.password == self.password)
        return AuthResult(success=ok)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LocalSmtp:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = _free_port(host)
        self.username = "ecert-local"
        self.password = secrets.token_urlsafe(16)
        self.mailbox = Mailbox()
        self._controller = Controller(self.mailbox, hostname=host, port=self.port,
                                      authenticator=_Account(self.username, self.password),
                                      auth_require_tls=False, auth_required=True)

    def start(self) -> "LocalSmtp":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def environment(self) -> dict[str, str]:
        """The settings that point the `smtp` adapter at this server."""
        return {"SMTP_HOST": self.host, "SMTP_PORT": str(self.port), "SMTP_SECURITY": "none",
                "SMTP_SECRET": json.dumps({"username": self.username, "password": self.password})}

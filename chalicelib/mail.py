"""Outgoing e-mail behind one interface: SES where the region has it, SMTP elsewhere.

The AWS China regions have no SES, so the `MAIL_ADAPTER` setting chooses the adapter:
`ses` (the local stack's moto server keeps what was sent) or `smtp`, a relay such as the
institute's mail provider, with implicit TLS on port 465 or STARTTLS on 587 and the account read
from SSM through the settings' secrets (on the first mail, not at start). The local stack runs a
loopback SMTP server without TLS (`SMTP_SECURITY=none`, refused for any other host).

Either way a failure is a 503 `MAIL_UNAVAILABLE` with a Chinese message, and the log line names
the error type, never the recipient (an address is personal data).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from chalicelib.config import Settings, SettingsError
from chalicelib.errors import ServiceUnavailable

log = logging.getLogger(__name__)

MAIL_UNAVAILABLE = "邮件发送失败,请稍后再试"


class Mailer(Protocol):
    sender: str

    def send(self, to: str, subject: str, text: str) -> None: ...


def _unavailable(exc: BaseException) -> ServiceUnavailable:
    log.warning("mail send failed: %s", type(exc).__name__)
    return ServiceUnavailable(MAIL_UNAVAILABLE, code="MAIL_UNAVAILABLE")


class SesMailer:
    def __init__(self, ses: Any, sender: str) -> None:
        self._ses = ses
        self.sender = sender

    def send(self, to: str, subject: str, text: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._ses.send_email(
                Source=self.sender,
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                         "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc


class SmtpMailer:
    """One connection per mail: a Lambda may sleep for minutes between mails, and relays close
    idle connections."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp = settings.smtp
        self.sender = settings.mail_sender

    def message(self, to: str, subject: str, text: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg.set_content(text, charset="utf-8")
        return msg

    def send(self, to: str, subject: str, text: str) -> None:
        msg = self.message(to, subject, text)
        try:
            username, password = self._settings.smtp_credentials()
            with self._connect() as smtp:
                if username:
                    smtp.login(username, password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError, SettingsError) as exc:
            raise _unavailable(exc) from exc

    def _connect(self) -> smtplib.SMTP:
        host, port, timeout = self._smtp.host, self._smtp.port, self._smtp.timeout_seconds
        context = ssl.create_default_context()
        if self._smtp.security == "ssl":
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if self._smtp.security == "starttls":
            smtp.starttls(context=context)  # raises if the server does not offer it
        return smtp


def build_mailer(settings: Settings) -> Mailer:
    """The adapter the stage's `MAIL_ADAPTER` names."""
    if settings.mail_adapter == "smtp":
        return SmtpMailer(settings)
    from chalicelib import aws

    return SesMailer(aws.client("ses", settings.region), settings.mail_sender)

"""Outgoing e-mail through SES (the local stack's moto server keeps what was sent)."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import ServiceUnavailable

log = logging.getLogger(__name__)


class Mailer:
    def __init__(self, ses: Any, sender: str) -> None:
        self._ses = ses
        self.sender = sender

    def send(self, to: str, subject: str, text: str) -> None:
        try:
            self._ses.send_email(
                Source=self.sender,
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                         "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}},
            )
        except (ClientError, BotoCoreError) as exc:
            # The address is personal data: log the failure, not the recipient.
            log.warning("mail send failed: %s", type(exc).__name__)
            raise ServiceUnavailable("邮件发送失败,请稍后再试", code="MAIL_UNAVAILABLE") from exc

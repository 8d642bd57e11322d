"""The photo-check event handler's body: SQS messages carrying S3 ObjectCreated events.

A failure raises, so Lambda (or the local pump) leaves the message on the queue to be retried
and, after the queue's maxReceiveCount, moved to the dead-letter queue: nothing is lost. What
reaches the log is the exception's type and where it happened, never its message or a traceback
with values (Lambda logs whatever a handler raises, and a message may carry a member's data).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from chalicelib.bootstrap import deps
from chalicelib.errors import failure_site
from chalicelib.photo.service import handle_uploaded, parse_sqs_body

log = logging.getLogger(__name__)


class PhotoCheckFailed(RuntimeError):
    """Raised instead of the original failure so that SQS retries without its message."""


def handle_photo_event(event: Any) -> None:
    d = deps()
    for record in event:
        for obj in parse_sqs_body(record.body):
            try:
                handle_uploaded(d, obj)
            except Exception as exc:
                ref = uuid.uuid4().hex[:12]
                log.error("photo check failed ref=%s type=%s at=%s", ref, type(exc).__name__, failure_site(exc))
                raise PhotoCheckFailed(f"photo check failed ref={ref}") from None

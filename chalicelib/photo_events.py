"""The photo-check event handler's body: SQS messages carrying S3 ObjectCreated events.

A failure raises, so Lambda (or the local pump) leaves the message on the queue to be retried
and, after the queue's maxReceiveCount, moved to the dead-letter queue: nothing is lost.
"""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import deps
from chalicelib.photo.service import handle_uploaded, parse_sqs_body


def handle_photo_event(event: Any) -> None:
    d = deps()
    for record in event:
        for obj in parse_sqs_body(record.body):
            handle_uploaded(d, obj)

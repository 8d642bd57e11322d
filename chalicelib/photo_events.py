"""Placeholder photo-check handler until the photo pipeline lands: it only skips test events."""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


def handle_photo_event(event: Any) -> None:
    for record in event:
        body = json.loads(record.body)
        if body.get("Event") == "s3:TestEvent":
            continue
        log.info("photo uploaded (pipeline not wired yet)")

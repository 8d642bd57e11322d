"""Make moto apply each DynamoDB request atomically, as DynamoDB does.

DynamoDB evaluates a condition expression and applies the write as one step per item, so two
racing conditional writes can never both succeed. moto's backend is plain Python with no lock:
two threads (the local stack's threaded server, or tests that race requests in-process) can both
pass a condition before either writes. One lock around moto's DynamoDB dispatch restores the
guarantee the application relies on, so concurrency tests prove our code rather than flake on
the stand-in.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()


def serialize_dynamodb() -> None:
    """Idempotent: wraps moto's DynamoDB request handler once per process."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "_serialized", False):
        return
    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with _LOCK:
            return original(self)

    call_action._serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]

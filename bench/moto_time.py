"""Time spent inside moto's in-process fake services, for the benches that split a figure into
the work done outside moto (what a Lambda spends) and inside it (on AWS, S3's and DynamoDB's).

Why this exists: three benches wrapped moto's `BotocoreStubber.process_request` (where boto3's
calls are answered in process) each in their own way. `MotoTime` is that wrapper once, with the
clock as the one choice: `time.perf_counter` for wall time in a single-threaded bench, or
`time.thread_time` for CPU time, which stays right when several threads call moto at once
(each thread's own CPU, summed under a lock; the process's CPU clock would count the other
threads' work during a call too).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Callable, Iterator


class MotoTime:
    """`spent`: seconds of `clock` inside moto's request handling while `installed()`."""

    def __init__(self, clock: Callable[[], float] = time.thread_time) -> None:
        self.clock = clock
        self.spent = 0.0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def installed(self) -> Iterator[MotoTime]:
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.process_request
        clock, lock = self.clock, self._lock

        def timed(stubber: Any, request: Any) -> Any:
            t0 = clock()
            try:
                return original(stubber, request)
            finally:
                with lock:
                    self.spent += clock() - t0

        BotocoreStubber.process_request = timed  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            BotocoreStubber.process_request = original  # type: ignore[method-assign]

"""The local stand-in for Lambda's SQS event source mapping: long-poll a queue, hand each message
to an app handler as one SQS event, delete it when the handler returns.

Used by the local stack's threads (the photo queue, the jobs dead-letter queue) and by each job
worker process (`devstack.workers`), so both deliver, retry and log the same way.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from typing import Any, Callable, Protocol


class LambdaContext:
    """Enough of Lambda's context object for Chalice's event handlers."""

    function_name = "cpa-ecert-local-photo_check"
    memory_limit_in_mb = 1536

    def __init__(self) -> None:
        self.aws_request_id = uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


class Stopping(Protocol):
    """What stops a pump: a `threading.Event`, or a worker's `SignalFlag`."""

    def is_set(self) -> bool: ...


class QueuePump(threading.Thread):
    """Long-polls a queue and hands each message to the app's SQS handler.

    Run it as a thread (`start()`), or call `run()` in a process's main thread. `busy` is set
    while a message is being handled. `tag` prefixes its own log lines ("" for none).
    """

    def __init__(self, sqs: Any, queue_url: str, handler: Any, stop: Stopping,
                 name: str = "queue-pump", tag: str | None = None,
                 after: Callable[[float], None] | None = None) -> None:
        super().__init__(name=name, daemon=True)
        self.sqs, self.queue_url, self.handler, self.stop = sqs, queue_url, handler, stop
        self.tag = f"[{name}] " if tag is None else tag
        self.after = after  # called with the seconds a delivered message took (receive to delete)
        self.busy = False
        self.arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def say(self, text: str) -> None:
        print(f"{self.tag}{text}", file=sys.stderr, flush=True)

    def run(self) -> None:
        while not self.stop.is_set():
            t0 = time.perf_counter()
            try:
                resp = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=1,
                                                WaitTimeSeconds=1, AttributeNames=["All"])
            except Exception as exc:  # moto shutting down
                if self.stop.is_set():
                    return
                self.say(f"receive failed: {type(exc).__name__}")
                time.sleep(1)
                continue
            for msg in resp.get("Messages", []):
                self.busy = True
                try:
                    self._deliver(msg)
                finally:
                    self.busy = False
                if self.after is not None:
                    self.after(time.perf_counter() - t0)

    def _deliver(self, msg: dict[str, Any]) -> None:
        event = {"Records": [{
            "messageId": msg["MessageId"], "receiptHandle": msg["ReceiptHandle"], "body": msg["Body"],
            "attributes": msg.get("Attributes", {}), "messageAttributes": {},
            "md5OfBody": msg.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": self.arn, "awsRegion": "us-east-1",
        }]}
        try:
            self.handler(event, LambdaContext())
        except Exception as exc:
            # Like Lambda: leave the message on the queue; after maxReceiveCount it goes to the DLQ.
            self.say(f"handler failed ({type(exc).__name__}); will retry")
            try:
                self.sqs.change_message_visibility(QueueUrl=self.queue_url,
                                                   ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=2)
            except Exception:
                pass
            return
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=msg["ReceiptHandle"])

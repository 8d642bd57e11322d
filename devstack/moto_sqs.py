"""moto's SQS reads the clock once a scan of a queue, not twice a message.

Why this exists: a job is planned into chunk messages sent at once (301 for a 60,000-member
bulk job, 60 for a 60,000-row import), and the job workers receive them one by one. For every receive moto scans the
whole queue several times, and each message's `visible` and `delayed` compute the current time
as a datetime and subtract the epoch from it:
- `Queue.messages` (what can be received) is computed for each receive and again while it waits;
- the retention-period check of each message received builds every attribute of the queue
  (`get_queue_attributes`), which counts the visible, the in-flight and the delayed messages
  (three more scans) only to read `MessageRetentionPeriod`;
- a message sent computes the queue's attributes too (the counts again) to read
  `ContentBasedDeduplication`.
In a 60,000-row import in 200 chunks that was about 9 % of the local moto server's CPU; SQS's
cost has nothing like it.

Here each scan reads moto's own clock (`unix_time_millis`, so a frozen or travelled time is
still honoured) once and compares every message's timestamps with it, with moto's own
comparisons; the retention-period check reads the queue's retention period directly. The same
messages are visible, in flight, delayed, received and expired as with stock moto (within the
microseconds one scan takes): tests/integration/core/test_moto_sqs.py compares them.
"""

from __future__ import annotations

from typing import Any

_FITTED: list[bool] = []
STOCK: dict[str, Any] = {}  # moto's own, for the tests that compare


def fit_sqs() -> None:
    """Idempotent: one clock reading a scan of a queue, and a direct retention-period check."""
    if _FITTED:
        return
    from moto.core import utils
    from moto.sqs.models import Queue, SQSBackend

    STOCK.update(messages=Queue.messages, delayed=Queue.approximate_number_of_messages_delayed,
                 not_visible=Queue.approximate_number_of_messages_not_visible,
                 retention=SQSBackend.is_message_valid_based_on_retention_period)

    def messages(self: Any) -> list[Any]:
        now = utils.unix_time_millis()
        # Message.visible: now > visible_at; Message.delayed: now < delayed_until
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def delayed(self: Any) -> int:
        now = utils.unix_time_millis()
        return sum(1 for m in self._messages if now < m.delayed_until)

    def not_visible(self: Any) -> int:
        now = utils.unix_time_millis()
        return sum(1 for m in self._messages if not now > m.visible_at)

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_period = self.get_queue(queue_name).message_retention_period
        return bool(retention_period + message.sent_timestamp / 1000 > utils.unix_time())

    Queue.messages = property(messages)  # type: ignore[assignment, method-assign]
    Queue.approximate_number_of_messages_delayed = property(delayed)  # type: ignore[assignment, method-assign]
    Queue.approximate_number_of_messages_not_visible = property(not_visible)  # type: ignore[assignment, method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period)
    _FITTED.append(True)

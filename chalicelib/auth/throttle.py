"""Counters in the TTL table that slow brute force down without locking anyone out for long.

Two kinds, both keyed in `EphemeralModel` so no schema change is needed:

- failure counters (`fail#acct#<account id>`, `fail#ip#<client ip>`): every failed sign-in adds
  one; from the `free`-th failure on, the next attempt must wait 2, 4, 8, ... seconds, capped at
  15 minutes. The cap is what an attacker can inflict on a member; a password reset or a
  successful sign-in clears the account's counter. Counters are keyed by the name that was
  *typed*, whether or not such an account exists, so throttling never reveals which accounts exist.
- fixed-window rate limits (`rate#<what>#<ip>`): at most `limit` hits per window.

Updates are atomic DynamoDB ADDs; an expired item (DynamoDB deletes them lazily) counts as absent.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib.auth.models import EphemeralModel

MAX_DELAY_SECONDS = 900  # the longest an attacker can keep an account waiting
MEMORY_SECONDS = 3600  # how long a counter remembers failures after its delay has passed


@dataclass(frozen=True)
class Policy:
    """`free` failures cost nothing; each further one doubles the wait (2 s, 4 s, ...)."""

    prefix: str
    free: int


ACCOUNT = Policy("fail#acct#", free=5)
# Many members may sit behind one office NAT address, so the per-address allowance is larger.
CLIENT = Policy("fail#ip#", free=20)


def delay_for(failures: int, free: int) -> int:
    """Seconds to wait after `failures` consecutive failures."""
    if failures < free:
        return 0
    return int(min(2 ** (failures - free + 1), MAX_DELAY_SECONDS))


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _get(key: str) -> EphemeralModel | None:
    try:
        item = EphemeralModel.get(key, consistent_read=True)
    except DoesNotExist:
        return None
    return None if item.expired() else item


def wait_seconds(policy: Policy, subject: str, now: float | None = None) -> int:
    """How long `subject` must still wait before its next attempt (0 = go ahead)."""
    now = time.time() if now is None else now
    item = _get(policy.prefix + subject)
    if item is None:
        return 0
    until = float(item.data["until"]) if "until" in item.data else 0.0
    return max(0, math.ceil(until - now))


def _bump(key: str, expires: float, initial: dict[str, float]) -> int:
    """Atomically add one to the counter at `key` (creating it, or replacing an expired one)."""
    for _ in range(3):
        item = EphemeralModel(key)
        try:
            item.update(actions=[EphemeralModel.data["n"].add(1)],
                        condition=EphemeralModel.key.exists() & (EphemeralModel.expires_at > _ts(time.time())))
            return int(item.data["n"])
        except UpdateError:
            pass
        try:
            EphemeralModel(key, data={"n": 1, **initial}, expires_at=_ts(expires)).save(
                condition=EphemeralModel.key.does_not_exist() | (EphemeralModel.expires_at <= _ts(time.time())))
            return 1
        except PutError:
            continue  # someone else created it meanwhile: add to theirs
    raise RuntimeError("counter contention")


def record_failure(policy: Policy, subject: str, now: float | None = None) -> int:
    """Count one failure; returns the delay now imposed on `subject` (seconds)."""
    now = time.time() if now is None else now
    key = policy.prefix + subject
    failures = _bump(key, now + MEMORY_SECONDS, {"until": 0})
    delay = delay_for(failures, policy.free)
    # The window restarts with every failure, so failures spread over time still add up.
    EphemeralModel(key).update(actions=[
        EphemeralModel.data["until"].set(now + delay),
        EphemeralModel.expires_at.set(_ts(now + delay + MEMORY_SECONDS)),
    ])
    return delay


def clear(policy: Policy, subject: str) -> None:
    try:
        EphemeralModel(policy.prefix + subject).delete()
    except DeleteError:
        pass


def hit(name: str, subject: str, *, limit: int, window_seconds: int, now: float | None = None) -> int:
    """Count one use of `name` by `subject` in a fixed window.

    Returns 0 while within `limit`, else the seconds until the window ends.
    """
    now = time.time() if now is None else now
    key = f"rate#{name}#{subject}"
    count = _bump(key, now + window_seconds, {})
    if count <= limit:
        return 0
    item = _get(key)
    if item is None:
        return 0
    return max(1, math.ceil(item.expires_at.timestamp() - now))

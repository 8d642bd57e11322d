"""Counters in the TTL table that slow brute force down without locking anyone out for long.

Two kinds, both short-lived items of the auth repository so no schema change is needed:

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

from chalicelib.auth.models import EphemeralModel
from chalicelib.auth.repository import DYNAMO, AuthRepository

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


def _get(key: str, repo: AuthRepository) -> EphemeralModel | None:
    item = repo.get_item(key)
    if item is None:
        return None
    return None if item.expired() else item


def wait_seconds(policy: Policy, subject: str, now: float | None = None, *,
                 repo: AuthRepository = DYNAMO) -> int:
    """How long `subject` must still wait before its next attempt (0 = go ahead)."""
    now = time.time() if now is None else now
    item = _get(policy.prefix + subject, repo)
    if item is None:
        return 0
    until = float(item.data["until"]) if "until" in item.data else 0.0
    return max(0, math.ceil(until - now))


def _bump(key: str, expires: float, initial: dict[str, float], repo: AuthRepository) -> int:
    """Atomically add one to the counter at `key` (creating it, or replacing an expired one)."""
    for _ in range(3):
        count = repo.add_to_item(key, "n", 1, alive_at=_ts(time.time()))
        if count is not None:
            return count
        if repo.create_item(key, {"n": 1, **initial}, _ts(expires), replacing_expired_at=_ts(time.time())):
            return 1
        # someone else created it meanwhile: add to theirs
    raise RuntimeError("counter contention")


def record_failure(policy: Policy, subject: str, now: float | None = None, *,
                   repo: AuthRepository = DYNAMO) -> int:
    """Count one failure; returns the delay now imposed on `subject` (seconds)."""
    now = time.time() if now is None else now
    key = policy.prefix + subject
    failures = _bump(key, now + MEMORY_SECONDS, {"until": 0}, repo)
    delay = delay_for(failures, policy.free)
    # The window restarts with every failure, so failures spread over time still add up.
    repo.update_item(key, {"until": now + delay}, _ts(now + delay + MEMORY_SECONDS))
    return delay


def clear(policy: Policy, subject: str, *, repo: AuthRepository = DYNAMO) -> None:
    repo.delete_item(policy.prefix + subject)


def hit(name: str, subject: str, *, limit: int, window_seconds: int, now: float | None = None,
        repo: AuthRepository = DYNAMO) -> int:
    """Count one use of `name` by `subject` in a fixed window.

    Returns 0 while within `limit`, else the seconds until the window ends.
    """
    now = time.time() if now is None else now
    key = f"rate#{name}#{subject}"
    count = _bump(key, now + window_seconds, {}, repo)
    if count <= limit:
        return 0
    item = _get(key, repo)
    if item is None:
        return 0
    return max(1, math.ceil(item.expires_at.timestamp() - now))

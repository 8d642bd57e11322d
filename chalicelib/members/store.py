"""Write helpers over DynamoDB that the PynamoDB models do not give us directly.

- `update_member_record(member_no, mutate)`: read-modify-write under the member's version, retried
  when someone saved first (system writers: the photo handler, certificate issue records).
- `transaction()`: a TransactWrite on the models' own endpoint (PynamoDB needs a connection).
- `batch_put(items)`: BatchWriteItem across tables, 25 items a request, requests spread over a
  few threads, and UnprocessedItems retried with exponential backoff and jitter (PynamoDB's own
  batch writer retries without backoff and one table at a time). Batch writes carry no
  condition, so PynamoDB's VersionAttribute is not applied: callers set `version` themselves and
  use this only for items nobody else can be writing (new members, their accounts, audit entries).
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence

import boto3
from botocore.config import Config
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.db import condition_failed, utcnow_iso
from chalicelib.errors import Conflict, ServiceUnavailable
from chalicelib.members.models import MemberModel

BATCH_LIMIT = 25
MAX_ATTEMPTS = 8


class BatchWriteFailed(ServiceUnavailable):
    code = "BATCH_WRITE_FAILED"
    message = "数据库繁忙,部分数据未能写入,请稍后重新导入"


def transaction() -> TransactWrite:
    return TransactWrite(connection=Connection(region=MemberModel.Meta.region, host=_host()))


@lru_cache(maxsize=4)
def _cached_client(region: str, endpoint: str) -> Any:
    # Like PynamoDB's own client: no client-side parameter validation, which costs about as much
    # CPU as the request itself for 25 items with a profile map each (the API validates anyway).
    config = Config(parameter_validation=False, retries={"max_attempts": 4, "mode": "standard"},
                    connect_timeout=3, read_timeout=20)
    return boto3.session.Session().client("dynamodb", region_name=region, endpoint_url=endpoint or None,
                                          config=config)


def _host() -> str | None:
    return getattr(MemberModel.Meta, "host", None) or None  # set by models.bind (local stack)


def _client() -> Any:
    return _cached_client(MemberModel.Meta.region, _host() or "")


def _write_chunk(requests: dict[str, list[dict[str, Any]]], sleep: Any = time.sleep) -> None:
    pending = requests
    for attempt in range(MAX_ATTEMPTS):
        response = _client().batch_write_item(RequestItems=pending)
        pending = response.get("UnprocessedItems") or {}
        if not pending:
            return
        # Full jitter backoff (AWS architecture blog): 50 ms base, 2 s cap.
        sleep(random.uniform(0, min(2.0, 0.05 * 2 ** attempt)))
    raise BatchWriteFailed(unprocessed=sum(len(v) for v in pending.values()))


def chunks(items: Sequence[Model], size: int = BATCH_LIMIT) -> Iterable[dict[str, list[dict[str, Any]]]]:
    for start in range(0, len(items), size):
        request: dict[str, list[dict[str, Any]]] = {}
        for item in items[start:start + size]:
            request.setdefault(item.Meta.table_name, []).append({"PutRequest": {"Item": item.serialize()}})
        yield request


# A request that spends this many times its own CPU time in wall time was waiting on the network
# (DynamoDB: ~10x); a busy machine stretching a CPU-bound request stays well below it.
IO_BOUND_RATIO = 4.0
PROBE_REQUESTS = 2


def batch_put(items: Sequence[Model], *, workers: int = 8) -> int:
    """Put every item (any mix of models); returns the number of requests sent.

    Threads help only while requests wait on the network (DynamoDB: tens of milliseconds a
    request, little CPU); against an in-process emulator a request is pure CPU and threads only
    contend for the GIL. So the first requests go one by one, and the rest run in parallel only
    if those spent most of their time waiting.
    """
    requests = list(chunks(items))
    probe, rest = requests[:PROBE_REQUESTS], requests[PROBE_REQUESTS:]
    wall, cpu = time.perf_counter(), time.thread_time()
    for request in probe:
        _write_chunk(request)
    waited = (time.perf_counter() - wall) > IO_BOUND_RATIO * (time.thread_time() - cpu)
    if waited and workers > 1 and len(rest) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_write_chunk, rest))
    else:
        for request in rest:
            _write_chunk(request)
    return len(requests)


def update_member_record(member_no: str, mutate: Callable[[MemberModel], None], attempts: int = 5) -> MemberModel:
    """Read-modify-write under the member's version; re-read and retry if someone saved first."""
    for _ in range(attempts):
        member = MemberModel.get(member_no, consistent_read=True)
        mutate(member)
        member.updated_at = utcnow_iso()
        try:
            member.save()
            return member
        except PutError as exc:
            if not condition_failed(exc):
                raise
    raise Conflict("会员记录正被频繁修改,请稍后再试", code="VERSION_CONFLICT")

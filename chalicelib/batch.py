"""Batch writes across tables, for the few writers that put many new items at once (imports).

`batch_put(items)`: BatchWriteItem across tables, 25 items a request, requests spread over a few
threads, and UnprocessedItems retried with exponential backoff and jitter (PynamoDB's own batch
writer retries without backoff and one table at a time). Batch writes carry no condition, so
PynamoDB's VersionAttribute is not applied: callers set `version` themselves and use this only
for items nobody else can be writing (new members, their accounts, audit entries).

The DynamoDB client comes from the wiring module (`bind_client`); this module builds none.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.models import Model

from chalicelib.errors import ServiceUnavailable

BATCH_LIMIT = 25
MAX_ATTEMPTS = 8


class BatchWriteFailed(ServiceUnavailable):
    code = "BATCH_WRITE_FAILED"
    message = "数据库繁忙,部分数据未能写入,请稍后重新导入"


_CLIENT: list[Any] = []


def bind_client(client: Any) -> None:
    """The DynamoDB client batch writes use (built by the wiring module, once per cold start)."""
    _CLIENT[:] = [client]


def _client() -> Any:
    if not _CLIENT:
        raise RuntimeError("batch writer used before the wiring bound its DynamoDB client")
    return _CLIENT[0]


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

"""Batched writes: retries of unprocessed items with backoff, mixed tables, and threads only
when requests wait on the network."""

from __future__ import annotations

import threading
import time

import pytest

from chalicelib import batch
from chalicelib.auth.models import AccountModel
from chalicelib.members.models import AuditModel, MemberModel


def test_unprocessed_items_are_retried_with_backoff(monkeypatch):
    calls, sleeps = [], []

    class Flaky:
        def batch_write_item(self, RequestItems):
            calls.append(sum(len(v) for v in RequestItems.values()))
            if len(calls) < 3:
                first_table = next(iter(RequestItems))
                return {"UnprocessedItems": {first_table: RequestItems[first_table][:2]}}
            return {"UnprocessedItems": {}}

    monkeypatch.setattr(batch, "_client", lambda: Flaky())
    batch._write_chunk({"t": [{"PutRequest": {"Item": {}}}] * 5}, sleep=sleeps.append)
    assert calls == [5, 2, 2] and len(sleeps) == 2 and all(0 <= s <= 2.0 for s in sleeps)

    class Stuck:
        def batch_write_item(self, RequestItems):
            return {"UnprocessedItems": RequestItems}

    monkeypatch.setattr(batch, "_client", lambda: Stuck())
    with pytest.raises(batch.BatchWriteFailed) as err:
        batch._write_chunk({"t": [{"PutRequest": {"Item": {}}}]}, sleep=lambda s: None)
    assert err.value.status == 503 and err.value.extra == {"unprocessed": 1}


def test_items_of_several_tables_share_requests_of_25(aws):
    items = []
    for i in range(30):
        no = f"110000{i:06d}"
        items += [MemberModel(no, association="110000", version=1),
                  AccountModel(f"member:{no}", user_type="member", username=no, role="member",
                               association="110000", password_hash="!"),
                  AuditModel(no, f"2026#{i}", at="2026", actor="t", actor_role="r", action="import")]
    chunks = list(batch.chunks(items))
    assert [sum(len(v) for v in c.values()) for c in chunks] == [25, 25, 25, 15]
    assert batch.batch_put(items) == 4
    assert MemberModel.by_association.count("110000") == 30
    assert len(list(AuditModel.scan())) == 30


def _requests(n: int) -> list[dict]:
    return [{"t": [{"PutRequest": {"Item": {"n": {"N": str(i)}}}}]} for i in range(n)]


class FakeClock:
    """Wall and CPU clocks the fake requests advance, so the decision does not depend on how
    busy the test machine is."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def perf_counter(self) -> float:
        return self.wall

    def thread_time(self) -> float:
        return self.cpu


@pytest.mark.parametrize("wall_ms,cpu_ms,parallel", [(20, 2, True), (10, 10, False), (30, 10, False)])
def test_threads_only_when_requests_wait_on_the_network(monkeypatch, wall_ms, cpu_ms, parallel):
    clock = FakeClock()
    seen: set[int] = set()
    lock = threading.Lock()

    def write(request):
        with lock:
            clock.wall += wall_ms / 1000
            clock.cpu += cpu_ms / 1000
            seen.add(threading.get_ident())
        time.sleep(0.01)  # give the pool's threads a chance to interleave

    monkeypatch.setattr(batch, "time", clock)
    monkeypatch.setattr(batch, "chunks", lambda items: _requests(12))
    monkeypatch.setattr(batch, "_write_chunk", write)
    assert batch.batch_put([object()] * 12) == 12  # type: ignore[list-item]
    assert (len(seen) > 1) is parallel

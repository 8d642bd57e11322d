"""Member records benchmark (issue 4 item 7): one line per figure, ``name value unit``.

Why this exists: the staff landing list must cost the same whatever the size of the table (a
Query on the association index, never a Scan), and an Excel import of thousands of rows must
finish well inside one API call. Figures:

- ``members_list_p50_ms_1k`` / ``members_list_p50_ms_100k``: median time of one page of 50 rows
  through the service layer (``service.list_members``: query, paging, views) against in-process
  moto, with 1,000 and then 100,000 members in the table, all in the same association; pages
  start at random cursors across the association. ``members_list_ratio_100k_vs_1k``: the two
  divided (target <= 1.3).

  moto's Query is not DynamoDB's: it sorts every item of the table on every call (O(table)),
  whatever the key condition, so on stock moto any implementation, a correct Query included,
  slows down ~100x from 1k to 100k items. For these three figures the bench gives moto
  DynamoDB's cost model for index partitions (``indexed_moto_queries``: a partition's items are
  sorted once, and a query reads only the slice from its ExclusiveStartKey; everything else,
  the filters, limits, projections and LastEvaluatedKey, is moto's own code). A Scan, or
  reading a whole partition per page, would still grow 100x under this model; it is the
  implementation being measured, not the emulator.
- ``members_list_stock_moto_p50_ms_1k`` / ``_100k``: the same pages on unmodified moto, for
  transparency (these grow with the table because moto does).
- ``members_list_items_read_per_page_100k``: items DynamoDB evaluates (ScannedCount) for one
  page at 100k members: the read cost, which is what grows or not on real DynamoDB.
- ``import_rows_per_s``: a generated 10,000-row workbook (template headers, fake people with
  valid ID numbers), the dry run through ``imports.run``, then the import job on the checked file
  (every message of the jobs queue handled in turn by the worker, in this one process), rows /
  (dry run s + job s) (target >= 500). ``import_dry_run_s`` and ``import_commit_s`` (the job)
  are the two parts. The job writes 30,000 items (member, account, audit entry) and 10,000 ID
  claims, on the local stack's moto (``fit_moto``: moto as installed copies every table for each
  transaction); ``import_rows_per_s_outside_moto`` leaves moto's time out (parsing, checks,
  serialisation, botocore: what a Lambda would spend its CPU on).

Run: ``.venv/bin/python bench/bench_members.py`` (or through ``make bench``); about 3 minutes,
most of it loading 100,000 items into moto.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `chalicelib` importable
    sys.path.insert(0, str(ROOT))

from devstack.env import resource_names  # noqa: E402

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", **resource_names("bench"),
    "SITE_URL": "https://ecert.example.com", "TOKEN_KEY": "bench-token-key-" + "0" * 32,
    "VERIFY_KEY": "bench-verify-key-" + "0" * 32, "SIGNING_KEY_PEM": "unused", "SIGNING_CERT_PEM": "unused",
    "LOG_LEVEL": "WARNING",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

from bench.moto_time import MotoTime  # noqa: E402

ASSOCIATION = "110000"
PAGE = 50
LIST_ROUNDS = 41
STOCK_ROUNDS = 5
IMPORT_ROWS = 10_000
OTHER_BULK = 99_000


def _env() -> Any:
    from chalicelib import bootstrap
    from devstack.provision import provision

    bootstrap.reset()
    d = bootstrap.deps()
    provision(d.settings)
    return d


def _members(rng: random.Random, first_seq: int, count: int) -> Iterator[dict[str, Any]]:
    """Raw DynamoDB items for `count` members numbered from `first_seq` (fake people)."""
    from chalicelib.db import utcnow_iso
    from chalicelib.members.models import MemberModel
    from chalicelib.members.validation import is_complete
    from devstack.fake import person

    now = utcnow_iso()
    for seq in range(first_seq, first_seq + count):
        p = person(rng, ASSOCIATION, complete=rng.random() > 0.2)
        no = f"{ASSOCIATION}{seq:06d}"
        m = MemberModel(no, association=ASSOCIATION, name=p["name"], profile=p,
                        id_key=MemberModel.make_id_key(p["id_type"], p["id_number"]), complete=is_complete(p),
                        status="active", photo_status=rng.choice(("none", "accepted")), created_at=now,
                        updated_at=now, version=1)
        yield m.serialize()


def _load(table: str, first_seq: int, count: int, seed: int) -> float:
    """BatchWriteItem of raw items, 25 a request (the loader, not the code under test); seconds."""
    from chalicelib import batch

    t0 = time.perf_counter()
    client = batch._client()
    batch: list[dict[str, Any]] = []
    for item in _members(random.Random(seed), first_seq, count):
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write(client, table, batch)
            batch = []
    if batch:
        _write(client, table, batch)
    return time.perf_counter() - t0


def _write(client: Any, table: str, batch: list[dict[str, Any]]) -> None:
    pending = {table: batch}
    while pending:
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


@contextlib.contextmanager
def indexed_moto_queries() -> Iterator[None]:
    """Give moto's GSI Query DynamoDB's cost: read the partition slice after ExclusiveStartKey.

    Applies to index queries with one hash-key equality, no range condition, forward order (the
    staff list's unfiltered shape and its FilterExpression shape); anything else runs stock
    moto. A partition is sorted once (moto's own sort) and cached until the table's item count
    changes; the bench only reads while this is active.
    """
    from moto.dynamodb.models.table import Table

    original = Table.query
    cache: dict[Any, tuple[int, list[Any], dict[Any, int]]] = {}

    def query(self: Any, hash_key: Any, range_comparison: Any, range_objs: Any, limit: Any,
              exclusive_start_key: Any, scan_index_forward: Any, projection_expressions: Any,
              index_name: Any = None, consistent_read: bool = False, filter_expression: Any = None,
              **kw: Any) -> Any:
        args = (self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                projection_expressions, index_name, consistent_read, filter_expression)
        conditions = kw.get("hash_key_conditions") or []
        extra = {k for k, v in kw.items() if v and k not in ("hash_key_conditions",)}
        if not index_name or range_comparison or extra or scan_index_forward is False or len(conditions) != 1:
            return original(*args, **kw)
        index = self.get_index(index_name)
        hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        if len(hash_keys) != 1 or len(range_keys) != 1 or self.range_key_attr:
            return original(*args, **kw)
        attr, value = conditions[0]
        key = (id(self), index_name, attr, str(value.type), str(value.value))
        cached = cache.get(key)
        if cached is None or cached[0] != len(self.items):
            part = [it for it in self.all_items() if it.attrs.get(attr) == value and it.attrs.get(range_keys[0])]
            part = self.sorted_items(hash_keys + [self.hash_key_attr], range_keys + [None], part)
            cached = (len(self.items), part, {it.hash_key.value: i for i, it in enumerate(part)})
            cache[key] = cached
        _, part, position = cached
        start = 0
        if exclusive_start_key:
            pk = next(iter(exclusive_start_key[self.hash_key_attr].values()))
            if pk not in position:
                return original(*args, **kw)
            start = position[pk] + 1
        window = part[start:start + ((limit + 1) if limit else 1000)]
        self.all_items = lambda: list(window)  # the instance attribute shadows the method
        try:
            results, scanned, last = original(*args, **kw)
        finally:
            del self.all_items
        if last is None and window and start + len(window) < len(part):
            last = self._get_last_evaluated_key(window[-1], index_name)
        return results, scanned, last

    Table.query = query  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Table.query = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _use_table(name: str) -> Iterator[None]:
    from chalicelib.members.models import MemberModel

    previous = MemberModel.Meta.table_name
    MemberModel.Meta.table_name = name
    try:
        yield
    finally:
        MemberModel.Meta.table_name = previous


def _pages(tables: dict[str, tuple[str, int]], rounds: int, seed: int) -> dict[str, tuple[float, float]]:
    """Median (wall ms, ms outside moto) of one page per table, the tables taking turns.

    Taking turns round by round means load from other processes on this shared machine hits
    every table alike. Each timed page starts at a random cursor and follows an untimed page
    on the same table (PynamoDB rebuilds its table connection when the table name changes).
    """
    from chalicelib.cursor import encode_cursor
    from chalicelib.members import service
    from chalicelib.principal import Principal

    staff = Principal("bench_staff", "association_staff", ASSOCIATION)
    rng = random.Random(seed)
    wall: dict[str, list[float]] = {k: [] for k in tables}
    own: dict[str, list[float]] = {k: [] for k in tables}

    def page(total: int) -> None:
        cursor = encode_cursor({"m": f"{ASSOCIATION}{rng.randrange(1, total - PAGE):06d}"}) or ""
        body = service.list_members(staff, {"limit": str(PAGE), "cursor": cursor})
        assert len(body["items"]) == PAGE, len(body["items"])

    with MotoTime(time.perf_counter).installed() as moto:  # wall time: one thread
        for _ in range(rounds):
            for key, (table, total) in tables.items():
                with _use_table(table):
                    page(total)  # untimed
                    moto.spent = 0.0
                    t0 = time.perf_counter()
                    page(total)
                    elapsed = time.perf_counter() - t0
                wall[key].append(elapsed * 1000.0)
                own[key].append((elapsed - moto.spent) * 1000.0)
    return {k: (statistics.median(wall[k]), statistics.median(own[k])) for k in tables}


def bench_list(report: Callable[[str, float, str], None]) -> None:
    from chalicelib.members import listing
    from chalicelib.members.models import MemberModel

    with mock_aws():
        _env()
        small_table = MemberModel.Meta.table_name
        large_table = f"{small_table}-100k"
        with _use_table(large_table):
            MemberModel.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        _load(small_table, 1, 1000, seed=1)
        load_s = _load(large_table, 1, 1000 + OTHER_BULK, seed=2)
        tables = {"1k": (small_table, 1000), "100k": (large_table, 1000 + OTHER_BULK)}
        with indexed_moto_queries():
            indexed = _pages(tables, LIST_ROUNDS, seed=11)
            with _use_table(large_table):
                scanned = listing.list_page(ASSOCIATION, listing.Filters(), None, PAGE).scanned
        stock = _pages(tables, STOCK_ROUNDS, seed=12)
    report("members_list_p50_ms_1k", indexed["1k"][0], "ms")
    report("members_list_p50_ms_100k", indexed["100k"][0], "ms")
    report("members_list_ratio_100k_vs_1k", indexed["100k"][0] / indexed["1k"][0], "x")
    report("members_list_outside_moto_p50_ms_1k", indexed["1k"][1], "ms")
    report("members_list_outside_moto_p50_ms_100k", indexed["100k"][1], "ms")
    report("members_list_stock_moto_p50_ms_1k", stock["1k"][0], "ms")
    report("members_list_stock_moto_p50_ms_100k", stock["100k"][0], "ms")
    report("members_list_items_read_per_page_100k", scanned, "items")
    report("members_bench_load_100k_s", load_s, "s")


def _workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    from chalicelib.members import excel
    from devstack.fake import person

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(excel.DATA_SHEET)
    fields = excel.TEMPLATE_FIELDS
    ws.append([excel.header_label(f) for f in fields])
    rng = random.Random(42)
    seen: set[str] = set()
    while len(seen) < rows:
        p = person(rng, ASSOCIATION, complete=rng.random() > 0.1)
        if p["id_number"] in seen:  # random IDs can collide; the import would (rightly) refuse
            continue
        seen.add(p["id_number"])
        ws.append([p.get(f.key, "") for f in fields])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import_job(d: Any, staff: Any, upload_id: str) -> Any:
    """The import job on a checked file, every queued message handled by the worker in turn."""
    import json

    from chalicelib.jobs import repository, service, worker

    job = service.start(d, staff, {"kind": "import", "upload_id": upload_id})
    sqs = d.job_queue._sqs
    while True:
        msgs = sqs.receive_message(QueueUrl=d.job_queue.url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return repository.get(job["job_id"])
        for msg in msgs:
            worker.handle_message(d, json.loads(msg["Body"]))
            sqs.delete_message(QueueUrl=d.job_queue.url, ReceiptHandle=msg["ReceiptHandle"])


def bench_import(report: Callable[[str, float, str], None]) -> None:
    from chalicelib.members import imports
    from chalicelib.members.models import MemberModel
    from chalicelib.principal import Principal
    from devstack.fits import fit_moto

    data = _workbook(IMPORT_ROWS)
    staff = Principal("bench_staff", "association_staff", ASSOCIATION)
    # The import's claims are TransactWriteItems, and moto as installed backs up every table whole
    # for each transaction (a deep copy of every stored item: minutes and gigabytes by the last
    # of 100 transactions). The local stack's moto (devstack/fits.py) backs up the items a
    # transaction names, as DynamoDB's cost model implies; the import runs on that moto. It is
    # applied for good, so this runs after the list figures, which are also taken on stock moto.
    fit_moto()
    with mock_aws(), MotoTime(time.perf_counter).installed() as moto:
        d = _env()
        moto.spent = 0.0
        t0 = time.perf_counter()
        dry = imports.run(staff, data, "dry_run", d.job_files)
        t1 = time.perf_counter()
        done = _import_job(d, staff, dry["upload_id"])
        t2 = time.perf_counter()
        in_moto = moto.spent
        assert dry["ok"] and dry["create"] == IMPORT_ROWS, {k: dry[k] for k in ("rows", "create", "error_count")}
        assert done.status == "done" and int(done.total) == IMPORT_ROWS and int(done.failed) == 0
        assert MemberModel.by_association.count(ASSOCIATION) == IMPORT_ROWS
    report("import_rows_per_s", IMPORT_ROWS / (t2 - t0), "rows/s")
    report("import_rows_per_s_outside_moto", IMPORT_ROWS / (t2 - t0 - in_moto), "rows/s")
    report("import_dry_run_s", t1 - t0, "s")
    report("import_commit_s", t2 - t1, "s")
    report("import_file_kb", len(data) / 1024, "KB")


def main() -> int:
    def report(name: str, value: float, unit: str) -> None:
        print(f"{name} {value:.2f} {unit}", flush=True)

    bench_list(report)
    bench_import(report)  # last: it fits moto for good (see there)
    return 0


if __name__ == "__main__":
    sys.exit(main())

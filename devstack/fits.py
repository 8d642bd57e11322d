"""`fit_moto()`: the one place that fits moto to AWS's own cost models, for everything that runs it.

The local stack (`python -m devstack`), the test suite (tests/conftest.py) and the benchmarks
(bench/) must run the same moto, or a figure or a test would describe a stack nobody runs. Each
fit makes moto skip work the real service's cost model does not imply, with the same answers
(each module's tests compare with stock moto):
- devstack/moto_dynamodb.py: the lock of devstack.atomic, responses, index queries and scans,
  item sizes, projections, transactions;
- devstack/moto_update_item.py: UpdateItem's parse, validation and copies;
- devstack/moto_item_writes.py: one walk per item put (validation, building, measuring) and
  BatchWriteItem's duplicate check;
- devstack/moto_s3.py: routing a request to S3 and a bucket;
- devstack/moto_sqs.py: a scan of a queue reading the clock once, not twice a message;
- devstack/moto_dispatch.py: the server finding a request's service;
- devstack/moto_gc.py: the server's garbage collector re-reading every stored item.
"""

from __future__ import annotations


def fit_moto() -> None:
    """Idempotent: apply every fit (before moto serves its first request)."""
    from devstack.moto_dispatch import fit_dispatch
    from devstack.moto_dynamodb import fit_dynamodb
    from devstack.moto_gc import fit_gc
    from devstack.moto_item_writes import fit_item_writes
    from devstack.moto_s3 import fit_s3
    from devstack.moto_sqs import fit_sqs
    from devstack.moto_update_item import fit_update_item

    fit_dynamodb()
    fit_update_item()
    fit_item_writes()
    fit_s3()
    fit_sqs()
    fit_dispatch()
    fit_gc()

"""Jobs benchmark: one line per figure, ``name value unit``.

Why this exists: the largest association (60,000 members) must export as one job in about a
minute and import 60,000 rows in about two, and the per-chunk cost of the job machinery (queue +
state) must stay small next to the chunk's own work. Figures, against in-process moto (DynamoDB,
S3, SQS) fitted exactly as the local stack's (``devstack/moto_dynamodb.py``: DynamoDB's cost
model for responses, index queries, reads and item writes; the same answers as stock moto), one
worker (chunks run one after the other here; Lambda runs them in parallel, so this is the slow
case):

- ``export_60k_s``: 60,000 members in one association; from ``POST /jobs`` (the service call)
  through the plan, 120 chunks of 500 and the assembly of the xlsx to the job being ``done``.
- ``export_60k_s_outside_moto``: the same minus the time spent inside moto (what a Lambda
  would spend its own CPU on).
- ``job_overhead_ms``: per chunk, the time of everything but the chunk's own work and the
  assembly: receiving and deleting the message, reading the job, writing the chunk's output,
  the counting transaction and the re-read (wall time, moto included).
- ``import_check_60k_s``: the check (dry run) of a 60,000-row workbook of new members as staff
  start it after the upload, an ``import_check`` job from ``POST /jobs`` to ``done``.
- ``import_60k_s`` / ``import_60k_s_outside_moto``: then the import job of that checked file,
  timed on its own, from ``POST /jobs`` to ``done``: the plan (the check's stored per-row plan,
  split into chunks), 200 chunks of 300 rows (ID-number claims, member, account and audit
  items) and the CSV of new members.

``BENCH_JOB_MEMBERS=6000`` gives a quick run (the figures' names then say 6k);
``BENCH_JOB_ONLY=export`` or ``import`` runs one of the two.
Run: ``.venv/bin/python bench/bench_jobs.py`` (or through ``python -m bench``).
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_members import _MotoClock  # noqa: E402
from moto import mock_aws  # noqa: E402

os.environ["JOBS_QUEUE"] = "bench-jobs"
ASSOCIATION = "110000"
MEMBERS = int(os.environ.get("BENCH_JOB_MEMBERS", "60000"))
TAG = f"{MEMBERS // 1000}k"


def _seed() -> None:
    from chalicelib import batch
    from chalicelib.members.models import MemberModel
    from chalicelib.members.validation import is_complete
    from devstack.fake import person

    rng = random.Random(5)
    items = []
    for i in range(1, MEMBERS + 1):
        profile = person(rng, ASSOCIATION, complete=True)
        items.append(MemberModel(f"{ASSOCIATION}{i:06d}", association=ASSOCIATION, name=profile["name"],
                                 profile=profile, id_key=MemberModel.make_id_key(profile["id_type"], profile["id_number"]),
                                 complete=is_complete(profile), status="active", photo_status="none", failed_attempts=0,
                                 created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z", version=1))
    batch.batch_put(items)


class _Timed:
    """Wraps a kind's plan, chunk and assembly to add up their own time (the rest is overhead)."""

    def __init__(self) -> None:
        self.work = 0.0

    def wrap(self, fn: Any) -> Any:
        def run(*args: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.work += time.perf_counter() - t0
        return run


def _run_job(d: Any, kind: str, body: dict[str, Any]) -> tuple[Any, float, float, float]:
    """(final job, wall s, s inside moto, s of the kind's own work): one worker pumps the queue."""
    from chalicelib import aws
    from chalicelib.jobs import kinds, repository, service, worker
    from chalicelib.principal import Principal

    sqs = aws.client("sqs", d.settings.region)
    url = sqs.get_queue_url(QueueName=d.settings.jobs_queue)["QueueUrl"]
    staff = Principal("bench_staff", "association_staff", ASSOCIATION)
    timed, real = _Timed(), kinds.KINDS[kind]
    worker.KINDS[kind] = kinds.Kind(real.label, real.params, timed.wrap(real.plan), timed.wrap(real.chunk),
                                    timed.wrap(real.assemble))
    try:
        with _MotoClock.installed():
            t0, in_moto0 = time.perf_counter(), _MotoClock.spent
            job = service.start(d, staff, {"kind": kind, **body})
            while True:
                msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not msgs:
                    break
                for m in msgs:
                    worker.handle_message(d, json.loads(m["Body"]))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            wall, in_moto = time.perf_counter() - t0, _MotoClock.spent - in_moto0
    finally:
        worker.KINDS[kind] = real
    return repository.get(job["job_id"]), wall, in_moto, timed.work


def _stack() -> Any:
    from chalicelib import bootstrap
    from devstack.provision import provision

    bootstrap.reset()
    d = bootstrap.deps()
    provision(d.settings)
    return d


def bench_export() -> None:
    with mock_aws():
        d = _stack()
        t_seed = time.perf_counter()
        _seed()
        print(f"# seeded {MEMBERS} members in {time.perf_counter() - t_seed:.0f} s", file=sys.stderr, flush=True)
        final, wall, in_moto, work = _run_job(d, "export", {})
        assert final is not None and final.status == "done" and int(final.done) == MEMBERS, final
        chunks = int(final.chunks)
    print(f"export_{TAG}_s {wall:.1f} s", flush=True)
    print(f"export_{TAG}_s_outside_moto {wall - in_moto:.1f} s", flush=True)
    print(f"job_overhead_ms {(wall - work) / (chunks + 1) * 1000:.1f} ms", flush=True)


def _import_file(rows: int) -> bytes:
    from bench_members import ASSOCIATION as WORKBOOK_ASSOCIATION
    from bench_members import _workbook

    assert WORKBOOK_ASSOCIATION == ASSOCIATION
    return _workbook(rows)


def bench_import() -> None:
    """The flow staff follow: the file is checked by an import_check job (timed on its own), then
    the import job applies it (timed on its own; it takes the check's stored per-row plan)."""
    from chalicelib.members import imports
    from chalicelib.members.models import MemberModel

    t_file = time.perf_counter()
    data = _import_file(MEMBERS)
    print(f"# wrote a {MEMBERS}-row import file ({len(data) / 1e6:.1f} MB) in {time.perf_counter() - t_file:.0f} s",
          file=sys.stderr, flush=True)
    with mock_aws():
        d = _stack()
        upload_id = "0" * 32  # where the presigned upload leaves the file
        d.job_files.upload(imports.upload_key(ASSOCIATION, upload_id), io.BytesIO(data), imports.XLSX_TYPE)
        checked, check_wall, _, _ = _run_job(d, "import_check", {"upload_id": upload_id})
        assert checked is not None and checked.status == "done" and int(checked.total) == MEMBERS, checked
        report = d.job_files.get_json(imports.report_key(ASSOCIATION, upload_id))
        assert report["ok"] and report["create"] == MEMBERS, {k: report[k] for k in ("create", "error_count")}
        print(f"import_check_{TAG}_s {check_wall:.1f} s", flush=True)
        final, wall, in_moto, _ = _run_job(d, "import", {"upload_id": upload_id})
        assert final is not None and final.status == "done" and int(final.done) == MEMBERS, final
        assert int(final.failed) == 0, int(final.failed)
        assert MemberModel.by_association.count(ASSOCIATION) == MEMBERS
    print(f"import_{TAG}_s {wall:.1f} s", flush=True)
    print(f"import_{TAG}_s_outside_moto {wall - in_moto:.1f} s", flush=True)


def main() -> None:
    from devstack.moto_dynamodb import fit_dynamodb
    from devstack.moto_s3 import fit_s3
    from devstack.moto_update_item import fit_update_item

    fit_dynamodb()  # the local stack's moto (devstack/moto_dynamodb.py and the two below)
    fit_update_item()
    fit_s3()
    only = os.environ.get("BENCH_JOB_ONLY", "")
    if only in ("", "export"):
        bench_export()
    if only in ("", "import"):
        bench_import()


if __name__ == "__main__":
    main()

"""Jobs benchmark: one line per figure, ``name value unit``.

Why this exists: the largest association (60,000 members) must export as one job in about a
minute, and the per-chunk cost of the job machinery (queue + state) must stay small next to the
chunk's own work. Figures, against in-process moto (DynamoDB, S3, SQS), one worker (chunks run
one after the other here; Lambda runs them in parallel, so this is the slow case):

- ``export_60k_s``: 60,000 members in one association; from ``POST /jobs`` (the service call)
  through the plan, 120 chunks of 500 and the assembly of the xlsx to the job being ``done``.
  moto's index Query sorts the whole table on every page (DynamoDB reads only the slice), so
  the index queries get DynamoDB's cost model as in bench_members (``indexed_moto_queries``).
- ``export_60k_s_outside_moto``: the same minus the time spent inside moto (what a Lambda
  would spend its own CPU on).
- ``job_overhead_ms``: per chunk, the time of everything but the chunk's own work and the
  assembly: receiving and deleting the message, reading the job, writing the chunk's output,
  the counting transaction and the re-read (wall time, moto included).

Run: ``.venv/bin/python bench/bench_jobs.py`` (or through ``python -m bench``).
"""

from __future__ import annotations

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

from bench_members import _MotoClock, indexed_moto_queries  # noqa: E402
from moto import mock_aws  # noqa: E402

os.environ["JOBS_QUEUE"] = "bench-jobs"
ASSOCIATION = "110000"
# BENCH_JOB_MEMBERS=6000 gives a quick run (the figure's name then says 6k); the default is the target.
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


def main() -> None:
    from chalicelib import aws, bootstrap
    from chalicelib.jobs import kinds, repository, service, worker
    from chalicelib.principal import Principal
    from devstack.provision import provision

    with mock_aws():
        bootstrap.reset()
        d = bootstrap.deps()
        provision(d.settings)
        t_seed = time.perf_counter()
        _seed()
        print(f"# seeded {MEMBERS} members in {time.perf_counter() - t_seed:.0f} s", file=sys.stderr, flush=True)
        sqs = aws.client("sqs", d.settings.region)
        url = sqs.get_queue_url(QueueName=d.settings.jobs_queue)["QueueUrl"]
        staff = Principal("bench_staff", "association_staff", ASSOCIATION)
        work = {"s": 0.0}
        real = kinds.KINDS["export"]

        def timed(fn: Any) -> Any:
            def run(*args: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*args)
                finally:
                    work["s"] += time.perf_counter() - t0
            return run

        worker.KINDS["export"] = kinds.Kind(real.label, real.params, timed(real.plan), timed(real.chunk),
                                            timed(real.assemble))
        with indexed_moto_queries(), _MotoClock.installed():
            t0 = time.perf_counter()
            in_moto0 = _MotoClock.spent
            job = service.start(d, staff, {"kind": "export"})
            while True:
                msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not msgs:
                    break
                for m in msgs:
                    worker.handle_message(d, json.loads(m["Body"]))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            wall = time.perf_counter() - t0
            in_moto = _MotoClock.spent - in_moto0
        final = repository.get(job["job_id"])
        assert final is not None and final.status == "done" and int(final.done) == MEMBERS, final
        chunks = int(final.chunks)
        print(f"export_{TAG}_s {wall:.1f} s", flush=True)
        print(f"export_{TAG}_s_outside_moto {wall - in_moto:.1f} s", flush=True)
        print(f"job_overhead_ms {(wall - work['s']) / (chunks + 1) * 1000:.1f} ms", flush=True)


if __name__ == "__main__":
    main()

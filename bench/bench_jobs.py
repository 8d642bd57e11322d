"""Jobs benchmark: one line per figure, ``name value unit``.

Why this exists: the largest association (60,000 members) must export as one job in about a
minute and import 60,000 rows in about two, and the per-chunk cost of the job machinery (queue +
state) must stay small next to the chunk's own work. Measured the way the local stack runs jobs:
a moto server on loopback in this process, fitted exactly as the local stack's
(``devstack/moto_dynamodb.py``: DynamoDB's cost model for responses, index queries, reads and
item writes; the same answers as stock moto), and ``WORKERS`` (2) job worker processes
(``devstack.workers``, the local stack's own) pumping the jobs queue over HTTP, in parallel like
Lambda's concurrent invocations. This machine has 2 cores for moto and both workers together, so
the wall figure is what the local stack does here, not what Lambda would.

- ``export_60k_s``: 60,000 members seeded into one association (the local stack's seeder,
  ``devstack/seed.py``); from ``POST /jobs`` (the service call) through the plan, 60 chunks of 1,000
  and the assembly of the xlsx to the job being ``done`` (polled every 0.2 s).
- ``export_60k_s_outside_moto``: the worker processes' CPU seconds (user + system) during the
  job divided by the number of workers: the wall time if moto cost nothing and the work split
  evenly (what the Lambdas themselves would spend).
- ``export_60k_moto_cpu_s``: CPU seconds of this process during the job: the moto server (the
  polling of the job's state adds a few milliseconds).
- ``job_overhead_ms``: per message (chunk or plan) of the export, the time of everything but the
  kind's own work (plan, chunk, assembly): receiving and deleting the message, reading the job,
  writing the chunk's output, the counting transaction and the re-read (wall time in a worker,
  moto included, with the other worker busy beside it).
- ``import_check_60k_s``: the check (dry run) of a 60,000-row workbook of new members as staff
  start it after the upload, an ``import_check`` job from ``POST /jobs`` to ``done``.
- ``import_60k_s`` / ``import_60k_s_outside_moto`` / ``import_60k_moto_cpu_s``: then the import
  job of that checked file, timed on its own, from ``POST /jobs`` to ``done``, through the same
  runner: the plan (the check's stored per-row plan, split into chunks), 200 chunks of 300 rows
  (ID-number claims, member, account and audit items) and the CSV of new members.

``BENCH_JOB_MEMBERS=6000`` gives a quick run (the figures' names then say 6k);
``BENCH_JOB_ONLY=export`` or ``import`` runs one of the two; without it, each runs in a process
of its own.
Run: ``.venv/bin/python bench/bench_jobs.py`` (or through ``python -m bench``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

ASSOCIATION = "110000"
MEMBERS = int(os.environ.get("BENCH_JOB_MEMBERS", "60000"))
TAG = f"{MEMBERS // 1000}k"
WORKERS = 2


@dataclass
class Stack:
    """The benchmark's local stack: deps bound to the moto server, and the worker processes."""

    d: Any
    workers: Any
    timings: list[dict[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, _worker: str, timing: dict[str, float]) -> None:
        with self.lock:
            self.timings.append(timing)


@dataclass
class JobRun:
    job: Any  # the final JobModel
    wall_s: float
    workers_cpu_s: float  # all worker processes together
    moto_cpu_s: float  # this process: the moto server
    overhead_s: float  # per message, the workers' time outside the kind's own work (mean)

    @property
    def outside_moto_s(self) -> float:
        return self.workers_cpu_s / WORKERS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _stack() -> Iterator[Stack]:
    """A fitted moto server in this process and WORKERS job worker processes, as `python -m devstack`
    runs them (the environment is the local stack's, restored afterwards)."""
    from moto.server import ThreadedMotoServer

    from chalicelib import bootstrap
    from devstack.env import local_environment
    from devstack.fits import fit_moto
    from devstack.provision import provision
    from devstack.workers import JobWorkers

    fit_moto()  # the local stack's moto (devstack/fits.py)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    # The server keeps its state in this process's moto backends, which outlive it: start empty.
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"),
                           timeout=30).close()
    saved = dict(os.environ)
    os.environ.update(local_environment(port, _free_port()))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    workers = None
    try:
        bootstrap.reset()
        d = bootstrap.deps()
        queues = provision(d.settings)
        stack = Stack(d, None)
        workers = JobWorkers(WORKERS, queues["jobs_queue_url"], out=lambda line: print(f"# {line}", file=sys.stderr,
                                                                                          flush=True),
                             on_timing=stack.record).start()
        stack.workers = workers
        yield stack
    finally:
        if workers is not None:
            workers.stop()
        moto.stop()
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


def _run_job(s: Stack, kind: str, body: dict[str, Any], timeout_s: float = 3600) -> JobRun:
    """Start a job as the service does and wait until it is no longer running; the workers do it."""
    from chalicelib.jobs import repository, service
    from chalicelib.principal import Principal

    staff = Principal("bench_staff", "association_staff", ASSOCIATION)
    with s.lock:
        s.timings.clear()
    cpu0, workers0 = time.process_time(), s.workers.cpu_seconds()
    t0 = time.perf_counter()
    job_id = service.start(s.d, staff, {"kind": kind, **body})["job_id"]
    deadline = t0 + timeout_s
    while True:
        job = repository.get(job_id)
        if job is not None and job.status not in ("planning", "running", "assembling"):
            break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{kind} job still {job.status if job else '?'} after {timeout_s:.0f} s")
        s.workers.check()
        # Twice a second (the admin page polls every 1.5 s): each poll is a request served by
        # this very process, the moto server, and five a second took ~2 % of its CPU.
        time.sleep(0.5)
    wall = time.perf_counter() - t0
    moto_cpu, workers_cpu = time.process_time() - cpu0, s.workers.cpu_seconds() - workers0
    time.sleep(0.5)  # the last message's timing line (it is printed after its delete)
    with s.lock:
        timings = list(s.timings)
    overhead = sum(t["took_s"] - t["work_s"] for t in timings) / max(len(timings), 1)
    return JobRun(job, wall, workers_cpu, moto_cpu, overhead)


def bench_export() -> None:
    from devstack.seed import seed_members

    with _stack() as s:
        took = seed_members(s.d.photos, MEMBERS, association=ASSOCIATION,
                            progress=lambda line: print(f"#{line}", file=sys.stderr, flush=True))
        print(f"# seeded {MEMBERS} members in {took:.0f} s", file=sys.stderr, flush=True)
        run = _run_job(s, "export", {})
        final = run.job
        assert final.status == "done" and int(final.done) == MEMBERS, (final.status, final.message)
    print(f"export_{TAG}_s {run.wall_s:.1f} s", flush=True)
    print(f"export_{TAG}_s_outside_moto {run.outside_moto_s:.1f} s", flush=True)
    print(f"export_{TAG}_moto_cpu_s {run.moto_cpu_s:.1f} s", flush=True)
    print(f"job_overhead_ms {run.overhead_s * 1000:.1f} ms", flush=True)


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
    # A file this large reaches the job through the presigned upload, not the 5 MB request; the job
    # itself reads it from S3 (where the presigned upload leaves it).
    imports.MAX_BYTES = max(imports.MAX_BYTES, len(data) + 1)
    with _stack() as s:
        upload_id = "0" * 32
        s.d.job_files.upload(imports.upload_key(ASSOCIATION, upload_id), io.BytesIO(data), imports.XLSX_TYPE)
        check = _run_job(s, "import_check", {"upload_id": upload_id})
        assert check.job.status == "done" and int(check.job.total) == MEMBERS, (check.job.status, check.job.message)
        report = s.d.job_files.get_json(imports.report_key(ASSOCIATION, upload_id))
        assert report["ok"] and report["create"] == MEMBERS, {k: report[k] for k in ("create", "error_count")}
        print(f"import_check_{TAG}_s {check.wall_s:.1f} s", flush=True)
        run = _run_job(s, "import", {"upload_id": upload_id})
        final = run.job
        assert final.status == "done" and int(final.done) == MEMBERS, (final.status, final.message)
        assert int(final.failed) == 0, int(final.failed)
        count = MemberModel.by_association.count(ASSOCIATION)
        assert count == MEMBERS, count
    print(f"import_{TAG}_s {run.wall_s:.1f} s", flush=True)
    print(f"import_{TAG}_s_outside_moto {run.outside_moto_s:.1f} s", flush=True)
    print(f"import_{TAG}_moto_cpu_s {run.moto_cpu_s:.1f} s", flush=True)


def main() -> None:
    only = os.environ.get("BENCH_JOB_ONLY", "")
    if only == "export":
        bench_export()
    elif only == "import":
        bench_import()
    else:
        # Each in a process of its own, as `python -m bench` runs each script: after the export
        # in the same process, the import took ~7 % longer (112.1 s against 104.9 s alone, on
        # the idle machine), so one figure would have coloured the other.
        import subprocess

        for kind in ("export", "import"):
            subprocess.run([sys.executable, __file__], env={**os.environ, "BENCH_JOB_ONLY": kind}, check=True)


if __name__ == "__main__":
    main()

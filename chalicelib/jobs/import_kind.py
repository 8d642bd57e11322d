"""The import as jobs: the dry run of an uploaded file, and the rows of a checked file applied a
chunk at a time.

A file is stored under `jobs/imports/<association>/` by the small-file dry run
(`POST /members/imports`) or by a presigned upload (`POST /members/imports/uploads`), and named
by its `upload_id`.
- `import_check` (`POST /jobs {"kind": "import_check", "upload_id": ...}`): the dry run of a
  presigned upload, which for 60,000 rows takes longer than an API request may run. It does its
  one piece of work while planning (no chunks; a file that cannot be read fails the job with
  the reason), reporting rows checked / total on the job as it goes, and its result is the
  report (`GET /members/imports/{upload_id}`), with the per-row plan stored beside it.
- `import` (`POST /jobs {"kind": "import", "upload_id": ...}`), as follows.
- plan: takes each row's plan (what to do with it: create, update, nothing, or why not) that
  the check stored beside the file, if the file is still the exact version the check read
  (else, or if that plan is gone or unreadable, runs the same check again), and writes each
  chunk's rows to `jobs/<id>/rows-<first>.json`; the chunk message carries only the row numbers.
- chunk: applies its rows. Unlike the synchronous commit, rows with problems do not stop the
  others; they are the job's failure report (row number and reason, never a name).
- An update applies only to the member as the check saw it (its version): a staff edit made
  between the check and the chunk makes the row a conflict in the report, never overwritten.
- Redelivery is a no-op for rows already applied: an update re-applied changes nothing (the
  member already holds the values); a new row's member number is recorded (`JobRowsModel`)
  before its ID number is claimed with that number, so a re-run finds the claim its own and the
  member present, and writes nothing again.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from pynamodb.exceptions import DoesNotExist

from chalicelib import batch
from chalicelib.db import utcnow_iso
from chalicelib.errors import BadRequest, ValidationFailed
from chalicelib.jobs.models import JobRowsModel
from chalicelib.principal import Principal
from chalicelib.spreadsheet_safety import csv_text

if TYPE_CHECKING:  # kinds registers this module, so it is imported where used
    from chalicelib.jobs.kinds import Outcome, Result

log = logging.getLogger(__name__)
# Rows a chunk. Besides its rows' writes (3 items a row, 25 a request; claims 100 a request), a
# chunk makes about a dozen requests of its own (its message, the job record, its rows file,
# number ledger, output and count): a quarter of a 300-row chunk's requests, under a tenth of a
# 1,000-row one's. A 60,000-row import is 60 chunks (at 300 a chunk, the local stack's import
# took ~6 % longer); a chunk still takes seconds, far inside the worker's timeout.
IMPORT_CHUNK = 1000
PROGRESS_SECONDS = 2.0
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def params(body: Mapping[str, Any]) -> dict[str, Any]:
    upload_id = str(body.get("upload_id") or "")
    if not UPLOAD_ID.match(upload_id):
        raise BadRequest("upload_id 不正确,请先检查文件", code="INVALID_UPLOAD")
    return {"upload_id": upload_id}


def check_plan(d: Any, job: Any, principal: Principal) -> list[list[str]]:
    """The dry run itself, its rows checked so far on the job record as it goes; nothing is left
    to split into chunks."""
    from chalicelib.members import imports

    imports.check_upload(d, job.association, json.loads(job.params)["upload_id"], progress=_Progress(job))
    return []


class _Progress:
    """Rows checked / total on the job record while a check runs (the jobs panel's bar, rate
    and time left), at most every `PROGRESS_SECONDS` and once at the end."""

    def __init__(self, job: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.job, self.clock = job, clock
        self.last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        from chalicelib.jobs import repository

        now = self.clock()
        if done < total and self.last is not None and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        repository.progress(self.job, done, total)


def check_chunk(d: Any, job: Any, principal: Principal, members: list[str]) -> Outcome:
    raise RuntimeError("an import check has no chunks")


def check_assemble(d: Any, job: Any, outputs: Iterator[dict[str, Any]], stamp: str) -> Result:
    from chalicelib.jobs.kinds import Result
    from chalicelib.members import imports

    upload_id = json.loads(job.params)["upload_id"]
    return Result(imports.report_key(job.association, upload_id), f"导入校验结果_{job.association}_{stamp}.json")


def _rows_key(job_id: str, first: str) -> str:
    return f"jobs/{job_id}/rows-{first}.json"


def plan(d: Any, job: Any, principal: Principal) -> list[list[str]]:
    entries = _entries(d, job)
    chunks: list[list[str]] = []
    for start in range(0, len(entries), IMPORT_CHUNK):
        part = entries[start:start + IMPORT_CHUNK]
        d.job_files.put_json(_rows_key(job.job_id, str(part[0]["row"])), part)
        chunks.append([str(e["row"]) for e in part])
    return chunks


def _entries(d: Any, job: Any) -> list[dict[str, Any]]:
    """Each row's plan: the one the check stored for this very file if there is one, else the
    check is run again here."""
    from chalicelib.members import imports

    upload_id = json.loads(job.params)["upload_id"]
    stored = imports.stored_plan(d.job_files, job.association, upload_id)
    if stored is not None:
        log.info("import job reuses the check's plan id=%s rows=%d", job.job_id, len(stored))
        return stored
    data = d.job_files.get_bytes(imports.upload_key(job.association, upload_id))
    if data is None:
        raise ValidationFailed("未找到上传的文件(可能已过期),请重新检查文件", code="IMPORT_UPLOAD_GONE")
    log.info("import job checks its file again id=%s", job.job_id)
    checked = imports.plan(job.association, data, max_rows=imports.JOB_MAX_ROWS, max_bytes=imports.UPLOAD_MAX_BYTES)
    return checked.entries()


def _numbers(job: Any, first: str, rows: list[int]) -> tuple[dict[int, str], set[int]]:
    """The member numbers of this chunk's new rows: the recorded ones, else allocated now and
    recorded before anything is claimed with them; and the rows whose number was recorded by an
    earlier delivery (only their members can have been written already)."""
    from chalicelib.members import numbers

    try:
        ledger = JobRowsModel.get(f"jobrows#{job.job_id}#{first}", consistent_read=True)
    except DoesNotExist:
        ledger = JobRowsModel(f"jobrows#{job.job_id}#{first}", numbers=set(), expires_at=job.expires_at)
    have = {int(r): no for r, no in (str(x).split("=", 1) for x in ledger.numbers)}
    recorded = set(have)
    missing = [r for r in rows if r not in have]
    if missing:
        have.update(zip(missing, numbers.allocate(job.association, len(missing))))
        ledger.numbers = {f"{r}={no}" for r, no in have.items()}
        ledger.save()
    return have, recorded


def _creates(principal: Principal, job: Any, first: str, entries: list[dict[str, Any]], now: str,
             failed: list[list[Any]]) -> tuple[list[list[Any]], list[Any]]:
    from chalicelib.members import import_rows

    if not entries:
        return [], []
    numbers, recorded = _numbers(job, first, [e["row"] for e in entries])
    return import_rows.create_rows(principal, job.association, job.job_id, entries, numbers, now, failed,
                                   maybe_written=recorded)


def chunk(d: Any, job: Any, principal: Principal, members: list[str]) -> Outcome:
    from chalicelib.jobs.kinds import Outcome
    from chalicelib.members import import_rows  # what a row does to a member is the members' rule

    first = members[0]
    entries: list[dict[str, Any]] = d.job_files.get_json(_rows_key(job.job_id, first))
    now = utcnow_iso()
    failed: list[list[Any]] = [[e["row"], e["reason"]] for e in entries if e["op"] == "fail"]
    items: list[Any] = []
    updated = 0
    for e in (e for e in entries if e["op"] == "update"):
        reason, audit_item = import_rows.update_row(principal, job.association, job.job_id, e, now)
        if reason:
            failed.append([e["row"], reason])
        elif audit_item is not None:
            items.append(audit_item)
            updated += 1
    created, new_items = _creates(principal, job, first, [e for e in entries if e["op"] == "create"], now, failed)
    items.extend(new_items)
    if items:
        batch.batch_put(items)
    failed.sort()
    return Outcome({"first": first, "created": created, "updated": updated, "failed": failed}, len(entries),
                   len(failed))


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_text(str(v)) for v in row])
    return ("\ufeff" + buf.getvalue()).encode()


def assemble(d: Any, job: Any, outputs: Iterator[dict[str, Any]], stamp: str) -> Result:
    from chalicelib.jobs.kinds import Result

    created: list[list[Any]] = []
    failed: list[list[Any]] = []
    inputs: list[str] = []
    for out in outputs:
        created.extend(out["created"])
        failed.extend(out["failed"])
        if "first" in out:
            inputs.append(_rows_key(job.job_id, str(out["first"])))
    key = f"jobs/{job.job_id}/new-members.csv"
    d.job_files.upload(key, io.BytesIO(_csv(["行号", "会员证书编号", "姓名"], created)), "text/csv")
    report_key = None
    if failed:
        report_key = f"jobs/{job.job_id}/failures.csv"
        d.job_files.upload(report_key, io.BytesIO(_csv(["行号", "原因"], failed)), "text/csv")
    d.job_files.delete(inputs)  # the chunks' rows; the worker deletes the chunk outputs
    return Result(key, f"导入新建会员_{job.association}_{stamp}.csv", report_key)

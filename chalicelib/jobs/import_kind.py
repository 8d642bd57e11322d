"""The import commit as a job: the rows of a checked upload applied a chunk at a time.

The dry run (`POST /members/imports`) stores the uploaded file under `jobs/imports/<association>/`
and returns its `upload_id`; `POST /jobs {"kind": "import", "upload_id": ...}` starts this job.
- plan: reads the file once, runs the same check as the dry run and writes each chunk's rows
  (what to do with each: create, update, nothing, or why not) to `jobs/<id>/rows-<first>.json`;
  the chunk message carries only the row numbers.
- chunk: applies its rows. Unlike the synchronous commit, rows with problems do not stop the
  others; they are the job's failure report (row number and reason, never a name).
- Redelivery is a no-op for rows already applied: an update re-applied changes nothing (the
  member already holds the values); a new row's member number is recorded (`JobRowsModel`)
  before its ID number is claimed with that number, so a re-run finds the claim its own and the
  member present, and writes nothing again.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from pynamodb.exceptions import DoesNotExist

from chalicelib import batch
from chalicelib.db import utcnow_iso
from chalicelib.errors import BadRequest, ValidationFailed
from chalicelib.jobs.models import JobRowsModel
from chalicelib.principal import Principal
from chalicelib.spreadsheet_safety import csv_text

if TYPE_CHECKING:  # kinds registers this module, so it is imported where used
    from chalicelib.jobs.kinds import Outcome, Result

IMPORT_CHUNK = 300
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
CONFLICT = "该会员信息在处理时已被他人修改,本行未导入,请重新导入"
CLAIMED = "该证件号码在检查后已被登记为会员,本行未导入"


def params(body: Mapping[str, Any]) -> dict[str, Any]:
    upload_id = str(body.get("upload_id") or "")
    if not UPLOAD_ID.match(upload_id):
        raise BadRequest("upload_id 不正确,请先检查文件", code="INVALID_UPLOAD")
    return {"upload_id": upload_id}


def _rows_key(job_id: str, first: str) -> str:
    return f"jobs/{job_id}/rows-{first}.json"


def _reasons(errors: list[dict[str, Any]]) -> dict[int, str]:
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(int(e["row"]), []).append(f"{e['cell']} {e['message']}".strip())
    return {row: ";".join(parts) for row, parts in by_row.items()}


def plan(d: Any, job: Any, principal: Principal) -> list[list[str]]:
    from chalicelib.members import imports

    upload_id = json.loads(job.params)["upload_id"]
    data = d.job_files.get_bytes(imports.upload_key(job.association, upload_id))
    if data is None:
        raise ValidationFailed("未找到上传的文件(可能已过期),请重新检查文件", code="IMPORT_UPLOAD_GONE")
    checked = imports.plan(job.association, data, max_rows=imports.JOB_MAX_ROWS)
    reasons = _reasons(checked.errors)
    creates = {p.row: p for p in checked.creates}
    updates = {p.row: p for p in checked.updates}
    entries: list[dict[str, Any]] = []
    for row in checked.sheet.rows:
        n = row.number
        if n in reasons:
            entries.append({"row": n, "op": "fail", "reason": reasons[n]})
        elif n in creates:
            entries.append({"row": n, "op": "create", "values": creates[n].values})
        elif n in updates and updates[n].member is not None:
            entries.append({"row": n, "op": "update", "member_no": updates[n].member.member_no,  # type: ignore[union-attr]
                            "values": updates[n].changes})
        else:
            entries.append({"row": n, "op": "same"})
    chunks: list[list[str]] = []
    for start in range(0, len(entries), IMPORT_CHUNK):
        part = entries[start:start + IMPORT_CHUNK]
        d.job_files.put_json(_rows_key(job.job_id, str(part[0]["row"])), part)
        chunks.append([str(e["row"]) for e in part])
    return chunks


def _numbers(job: Any, first: str, rows: list[int]) -> dict[int, str]:
    """The member numbers of this chunk's new rows: the recorded ones, else allocated now and
    recorded before anything is claimed with them."""
    from chalicelib.members import numbers

    try:
        ledger = JobRowsModel.get(f"jobrows#{job.job_id}#{first}", consistent_read=True)
    except DoesNotExist:
        ledger = JobRowsModel(f"jobrows#{job.job_id}#{first}", numbers=set(), expires_at=job.expires_at)
    have = {int(r): no for r, no in (str(x).split("=", 1) for x in ledger.numbers)}
    missing = [r for r in rows if r not in have]
    if missing:
        have.update(zip(missing, numbers.allocate(job.association, len(missing))))
        ledger.numbers = {f"{r}={no}" for r, no in have.items()}
        ledger.save()
    return have


def _update(principal: Principal, job: Any, entry: dict[str, Any], now: str) -> tuple[str | None, Any]:
    """(failure reason or None, audit item or None) for one update row."""
    from chalicelib.members import imports
    from chalicelib.members.models import MemberModel
    from chalicelib.members.validation import validate

    try:
        member = MemberModel.get(entry["member_no"], consistent_read=True)
    except DoesNotExist:
        return "该会员已不存在,本行未导入", None
    if member.association != job.association:
        return "该证件号码已在其他协会登记为会员,会员转会请联系中注协办理", None
    current = member.fields()
    changes = {k: v for k, v in entry["values"].items() if current.get(k, "") != v}
    if not changes:
        return None, None  # already applied (a redelivered chunk) or nothing to change
    problems = validate(changes, current)
    if problems:
        return ";".join(p.message for p in problems), None
    item = imports.RowPlan(entry["row"], {**current, **changes}, member, changes)
    _, ok = imports._apply_update(principal, item, now)
    if not ok:
        return CONFLICT, None
    return None, imports._audit_item(member.member_no, principal, now, item.diff,
                                     {"row": item.row, "kind": "update", "job": job.job_id})


def _creates(principal: Principal, job: Any, first: str, entries: list[dict[str, Any]], now: str,
             failed: list[list[Any]]) -> tuple[list[list[Any]], list[Any]]:
    from chalicelib.auth import service as accounts
    from chalicelib.members import claims, imports
    from chalicelib.members.models import MemberModel
    from chalicelib.members.service import id_key_of
    from chalicelib.members.validation import is_complete

    if not entries:
        return [], []
    numbers = _numbers(job, first, [e["row"] for e in entries])
    present = {m.member_no for m in MemberModel.batch_get([numbers[e["row"]] for e in entries])}
    created: list[list[Any]] = []
    items: list[Any] = []
    wanted = {e["row"]: claims.claim_for(e["values"], numbers[e["row"]]) for e in entries}
    rows = [row for row, claim in wanted.items() if claim is not None]
    ours = dict(zip(rows, claims.claim_many([c for c in wanted.values() if c is not None])))
    for e in entries:
        values, member_no = e["values"], numbers[e["row"]]
        if not ours.get(e["row"], True):
            failed.append([e["row"], CLAIMED])
            continue
        created.append([e["row"], member_no, values.get("name", "")])
        if member_no in present:
            continue  # written by an earlier delivery of this chunk
        items.append(MemberModel(member_no, association=job.association, name=values["name"], profile=values,
                                 id_key=id_key_of(values), complete=is_complete(values), status="active",
                                 photo_status="none", failed_attempts=0, created_at=now, updated_at=now,
                                 version=1))
        items.append(accounts.member_account(member_no, job.association, values["name"], imports.NO_PASSWORD, now))
        items.append(imports._audit_item(member_no, principal, now, [],
                                         {"row": e["row"], "kind": "create", "job": job.job_id}))
    return created, items


def chunk(d: Any, job: Any, principal: Principal, members: list[str]) -> Outcome:
    from chalicelib.jobs.kinds import Outcome

    first = members[0]
    entries: list[dict[str, Any]] = d.job_files.get_json(_rows_key(job.job_id, first))
    now = utcnow_iso()
    failed: list[list[Any]] = [[e["row"], e["reason"]] for e in entries if e["op"] == "fail"]
    items: list[Any] = []
    updated = 0
    for e in (e for e in entries if e["op"] == "update"):
        reason, audit_item = _update(principal, job, e, now)
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
    return Outcome({"created": created, "updated": updated, "failed": failed}, len(entries), len(failed))


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
    for out in outputs:
        created.extend(out["created"])
        failed.extend(out["failed"])
    key = f"jobs/{job.job_id}/new-members.csv"
    d.job_files.upload(key, io.BytesIO(_csv(["行号", "会员证书编号", "姓名"], created)), "text/csv")
    report_key = None
    if failed:
        report_key = f"jobs/{job.job_id}/failures.csv"
        d.job_files.upload(report_key, io.BytesIO(_csv(["行号", "原因"], failed)), "text/csv")
    return Result(key, f"导入新建会员_{job.association}_{stamp}.csv", report_key)

"""Excel import (导入模板): a dry run that reports every problem, then the import job.

Rows are matched on ID type + number: a member of the staff's association is updated with the
row's non-empty cells, an unknown ID creates a member with a generated number, an ID that belongs
to another association is an error.

Two ways in, both keeping the file under `jobs/imports/<association>/<upload_id>.xlsx` for the
import job (chalicelib/jobs/import_kind.py), which applies the rows:
- a small file (up to `MAX_BYTES`, under the gateway's 6 MB request limit) is sent as the body
  of `POST /members/imports?mode=dry_run`, checked at once and stored;
- any file up to `UPLOAD_MAX_BYTES` goes straight to S3 with a presigned POST
  (`POST /members/imports/uploads`; the largest association's 60,000 rows are 10-13 MB) and is
  checked by an `import_check` job: the check of 60,000 rows takes longer than one API
  request may run (29 s), so it runs in the job worker and leaves its report beside the file
  (`GET /members/imports/{upload_id}`).
There is no synchronous commit: a commit of tens of thousands of rows does not fit one request.

Writes (made by the import job, chalicelib/jobs/import_kind.py, with the helpers below):
- New members, their accounts and one audit entry each go out in BatchWriteItem requests
  (`chalicelib.batch`). Batch writes carry no condition, so `version` is set to 1 by hand; the
  member numbers were allocated for the import (one counter update a chunk).
- Updates of existing members are conditional saves under the version just read (PynamoDB's
  VersionAttribute): a staff edit made in between is never overwritten; such a row is reported
  as a conflict and can simply be imported again (matched rows update, nothing is duplicated).
- Accounts of imported members get no usable password (an argon2id hash costs ~0.1 s on purpose,
  i.e. minutes for thousands of rows, and a sheet of plaintext passwords in staff mailboxes is a
  liability). The member sets one through "忘记密码" with the e-mail on file, or the association
  issues an initial password for one member (`POST /members/{no}/initial-password`).

Matching IDs: up to `QUERY_MATCH_LIMIT` rows are looked up one query each on the keys-only
`by_id_number` index; a larger file reads that index once (keys only, about 60 bytes an item, so
~25 MB for 400,000 members) instead of issuing thousands of queries.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from pynamodb.exceptions import PutError

from chalicelib.db import condition_failed
from chalicelib.errors import NotFound, PayloadTooLarge, ValidationFailed
from chalicelib.members import access, audit, excel
from chalicelib.members.models import AuditModel, MemberModel
from chalicelib.members.schema import FIELDS_BY_KEY
from chalicelib.members.service import id_key_of
from chalicelib.members.validation import is_complete, normalize, validate
from chalicelib.principal import Principal

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024  # a file sent as the request body (the gateway takes 6 MB)
# A presigned upload: the S3 policy's content-length-range, and checked again when read.
UPLOAD_MAX_BYTES = 30 * 1024 * 1024
UPLOAD_SECONDS = 900
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The dry run and the import job (chalicelib.jobs.import_kind): the largest association's size.
JOB_MAX_ROWS = 60_000
MAX_REPORTED_ERRORS = 2000
QUERY_MATCH_LIMIT = 100
# Not an argon2 hash: verify_password() rejects it, so the account cannot be signed in to until
# a password is set (reset by e-mail, or an initial password issued by staff).
NO_PASSWORD = "!unset:import"
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
PROGRESS_EVERY = 500  # rows between two calls of a check's progress callback
PLAN_FORMAT = 1  # of the stored per-row plan: a plan stored in another format is checked again
# progress(rows checked, rows in the file)
Progress = Callable[[int, int], None]


@dataclass
class RowPlan:
    row: int
    values: dict[str, str]
    member: MemberModel | None = None  # existing member to update
    changes: dict[str, str] = field(default_factory=dict)
    diff: list[dict[str, str]] = field(default_factory=list)  # masked, for the audit entry


@dataclass
class Plan:
    sheet: excel.ParsedSheet
    creates: list[RowPlan] = field(default_factory=list)
    updates: list[RowPlan] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: int, key: str, message: str) -> None:
        label = FIELDS_BY_KEY[key].label if key in FIELDS_BY_KEY else ""
        letter = self.sheet.column_letter(key)
        self.errors.append({"row": row, "column": label, "cell": f"{letter}{row}" if letter else "",
                            "key": key, "message": message})

    def entries(self) -> list[dict[str, Any]]:
        """What the import does with each row, in file order: {"row", "op": "create" (with the
        values), "update" (member_no, the version the check saw, the changed values), "same",
        or "fail" (with the reason)}. Numbers and reasons only besides the row's own values."""
        reasons = _reasons(self.errors)
        creates = {p.row: p for p in self.creates}
        updates = {p.row: p for p in self.updates}
        out: list[dict[str, Any]] = []
        for row in self.sheet.rows:
            n = row.number
            update = updates.get(n)
            if n in reasons:
                out.append({"row": n, "op": "fail", "reason": reasons[n]})
            elif n in creates:
                out.append({"row": n, "op": "create", "values": creates[n].values})
            elif update is not None and update.member is not None:
                out.append({"row": n, "op": "update", "member_no": update.member.member_no,
                            "version": int(update.member.version or 0), "values": update.changes})
            else:
                out.append({"row": n, "op": "same"})
        return out

    def report(self) -> dict[str, Any]:
        return {"rows": len(self.sheet.rows), "create": len(self.creates), "update": len(self.updates),
                "unchanged": self.unchanged, "error_count": len(self.errors),
                "error_rows": len({e["row"] for e in self.errors}),
                "errors": self.errors[:MAX_REPORTED_ERRORS], "ignored_columns": self.sheet.ignored_columns}


def _reasons(errors: list[dict[str, Any]]) -> dict[int, str]:
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(int(e["row"]), []).append(f"{e['cell']} {e['message']}".strip())
    return {row: ";".join(parts) for row, parts in by_row.items()}


def _resolve(keys: list[str]) -> dict[str, list[str]]:
    """id_key -> member numbers holding it (any association)."""
    found: dict[str, list[str]] = {}
    if len(keys) <= QUERY_MATCH_LIMIT:
        for key in keys:
            hits = [m.member_no for m in MemberModel.by_id_number.query(key)]
            if hits:
                found[key] = hits
        return found
    wanted = set(keys)
    for item in MemberModel.by_id_number.scan():
        if item.id_key in wanted:
            found.setdefault(item.id_key, []).append(item.member_no)
    return found


def upload_key(association: str, upload_id: str) -> str:
    """Where an import file is kept for the import job (per association: another one's id
    names no file)."""
    return f"jobs/imports/{association}/{upload_id}.xlsx"


def report_key(association: str, upload_id: str) -> str:
    """Where the `import_check` job leaves the dry run's report of that file."""
    return f"jobs/imports/{association}/{upload_id}.check.json"


def plan_key(association: str, upload_id: str) -> str:
    """Where the check leaves its per-row plan (`Plan.entries`) for the import job, tagged with
    the exact version of the file it read."""
    return f"jobs/imports/{association}/{upload_id}.plan.json"


def _store_plan(files: Any, association: str, upload_id: str, tag: str, result: Plan) -> None:
    files.put_json(plan_key(association, upload_id),
                   {"format": PLAN_FORMAT, "upload": tag, "rows": result.entries()})


def stored_plan(files: Any, association: str, upload_id: str) -> list[dict[str, Any]] | None:
    """The per-row plan the check stored for this upload, if the file is still the version the
    check read; None when it is absent, stale (the file was replaced, or an older format) or
    unreadable, and the import then checks the file again.

    Reusing it is safe because the import job decides again what matters at the moment it
    writes: an update applies only to the member version the check saw, and a new row's
    ID-number claim taken meanwhile fails that row alone."""
    tag = files.tag(upload_key(association, upload_id))
    raw = files.get_bytes(plan_key(association, upload_id)) if tag is not None else None
    if raw is None:
        return None
    try:
        stored = json.loads(raw)
        rows = stored["rows"] if stored.get("format") == PLAN_FORMAT and stored.get("upload") == tag else None
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("stored import plan unreadable; the file is checked again")
        return None
    if not isinstance(rows, list):
        log.info("stored import plan stale; the file is checked again")
        return None
    return rows


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"文件超过 {max_bytes // (1024 * 1024)} MB,请分成多个文件导入", code="IMPORT_TOO_LARGE")


def plan(association: str, data: bytes, *, max_rows: int | None = None, max_bytes: int | None = None,
         progress: Progress | None = None) -> Plan:
    """The dry run: parse, validate each row, match on ID type + number; writes nothing.
    Limits: `JOB_MAX_ROWS` rows and `MAX_BYTES` (a request body) unless given. `progress` is
    called with (rows checked, rows) once the file is read, every `PROGRESS_EVERY` rows and at
    the end."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    try:
        sheet = excel.parse(data, max_rows=JOB_MAX_ROWS if max_rows is None else max_rows)
    except excel.WorkbookError as exc:
        if exc.code == "IMPORT_TOO_LARGE":
            raise PayloadTooLarge(exc.message, code=exc.code) from None
        raise ValidationFailed(exc.message, code=exc.code) from None
    result = Plan(sheet)
    rows: list[tuple[int, dict[str, str], str]] = []
    first_row: dict[str, int] = {}
    for row in sheet.rows:
        number = row.number
        bad = bool(row.problems)
        for field_key, problem in row.problems:
            result.error(number, field_key, problem)
        values = {k: v for k, v in normalize(row.values).items() if v != ""}
        for field_key in ("id_type", "id_number"):
            if not values.get(field_key):
                result.error(number, field_key, f"{FIELDS_BY_KEY[field_key].label}为必填项(用于匹配会员)")
                bad = True
        id_key = id_key_of(values)
        if id_key and id_key in first_row:
            result.error(number, "id_number", f"与第{first_row[id_key]}行的证件号码重复")
            bad = True
        elif id_key:
            first_row[id_key] = number
        if not bad and id_key:
            rows.append((number, values, id_key))
        else:
            _field_errors(result, number, values, association)

    total = len(sheet.rows)
    checked = total - len(rows)  # refused already: nothing left to look up
    if progress is not None:
        progress(checked, total)
    matches = _resolve(sorted({k for _, _, k in rows}))
    wanted = sorted({n for nos in matches.values() for n in nos})
    members = {m.member_no: m for m in MemberModel.batch_get(wanted)} if wanted else {}
    for i, (number, values, key) in enumerate(rows, start=1):
        if progress is not None and i % PROGRESS_EVERY == 0:
            progress(checked + i, total)
        holders = [members[n] for n in matches.get(key, []) if n in members]
        if len(holders) > 1:
            result.error(number, "id_number", "该证件号码对应多名会员,请联系系统管理员核查")
            _field_errors(result, number, values, association)
        elif holders and holders[0].association != association:
            result.error(number, "id_number", "该证件号码已在其他协会登记为会员,会员转会请联系中注协办理")
            _field_errors(result, number, values, association)
        elif holders:
            _plan_update(result, number, values, holders[0])
        else:
            _plan_create(result, number, values, association)
    result.errors.sort(key=lambda e: (e["row"], sheet.columns.get(e["key"], 0)))
    if progress is not None:
        progress(total, total)
    return result


def _field_errors(result: Plan, number: int, values: dict[str, str], association: str) -> None:
    """Every field problem of a row that is already refused for another reason (a cell that did
    not parse, a duplicate or foreign ID), so the row's problems are reported all at once rather
    than one round at a time; a message already reported is not reported twice."""
    reported = {(e["key"], e["message"]) for e in result.errors if e["row"] == number}
    for e in validate({**values, "association": association}, {}):
        if (e.key, e.message) not in reported:
            result.error(number, e.key, e.message)


def _plan_create(result: Plan, number: int, values: dict[str, str], association: str) -> None:
    values = {**values, "association": association}
    problems = validate(values, {})
    for e in problems:
        result.error(number, e.key, e.message)
    if not values.get("name"):
        result.error(number, "name", "姓名为必填项(新建会员)")
    elif not problems:
        result.creates.append(RowPlan(number, values))


def _plan_update(result: Plan, number: int, values: dict[str, str], member: MemberModel) -> None:
    current = member.fields()
    changes = {k: v for k, v in values.items() if current.get(k, "") != v}
    problems = validate(changes, current)
    for e in problems:
        result.error(number, e.key, e.message)
    if problems:
        return
    if changes:
        result.updates.append(RowPlan(number, {**current, **changes}, member, changes))
    else:
        result.unchanged += 1


def _audit_item(member_no: str, principal: Principal, at: str, changes: list[dict[str, str]],
                detail: dict[str, Any]) -> AuditModel:
    return AuditModel(member_no, f"{at}#{secrets.token_hex(4)}", at=at, actor=principal.actor,
                      actor_role=principal.role, action="import", changes=changes, detail=detail)


def _apply_update(principal: Principal, item: RowPlan, now: str) -> tuple[RowPlan, bool]:
    member = item.member
    assert member is not None
    old = member.fields()
    member.profile = {k: v for k, v in item.values.items() if k != "member_no"}
    member.name = item.values.get("name", "")
    member.id_key = id_key_of(item.values)
    member.complete = is_complete(item.values)
    member.updated_at = now
    try:
        member.save()  # conditional on the version read during the check
    except PutError as exc:
        if condition_failed(exc):
            return item, False
        raise
    item.diff = audit.diff(old, item.values)
    return item, True


def run(principal: Principal, data: bytes, mode: str, files: Any = None) -> dict[str, Any]:
    """POST /members/imports?mode=dry_run: the report of a small file, which is kept for an
    import job (its id is returned as `upload_id`)."""
    association = access.managed_association(principal)
    if mode == "commit":
        raise ValidationFailed("导入已改为后台任务:请先校验文件,再以返回的 upload_id 发起导入任务",
                               code="IMPORT_COMMIT_IS_A_JOB")
    if mode != "dry_run":
        raise ValidationFailed("mode 应为 dry_run", code="INVALID_MODE")
    started = time.monotonic()
    result = plan(association, data)
    report = {"mode": mode, "ok": not result.errors, "committed": False, **result.report()}
    if files is not None:
        upload_id = uuid.uuid4().hex
        tag = files.put_bytes(upload_key(association, upload_id), data, XLSX_TYPE)
        _store_plan(files, association, upload_id, tag, result)
        report["upload_id"] = upload_id
    report["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    return report


def start_upload(d: Any, principal: Principal) -> dict[str, Any]:
    """POST /members/imports/uploads: a presigned POST for one xlsx of up to `UPLOAD_MAX_BYTES`
    at a key under the staff's own association, which an `import_check` job then checks."""
    association = access.managed_association(principal)
    upload_id = uuid.uuid4().hex
    post = d.photos.presigned_post(upload_key(association, upload_id), min_bytes=1, max_bytes=UPLOAD_MAX_BYTES,
                                   content_type=XLSX_TYPE, expires_in=UPLOAD_SECONDS)
    log.info("import upload started association=%s", association)
    return {"upload_id": upload_id, "url": post["url"], "fields": post["fields"], "max_bytes": UPLOAD_MAX_BYTES}


def check_upload(d: Any, association: str, upload_id: str, progress: Progress | None = None) -> dict[str, Any]:
    """The dry run of an uploaded file (run by the `import_check` job); its report and per-row
    plan are stored beside the file and the report returned. `progress(done, total)` hears of
    the rows checked as the check goes."""
    started = time.monotonic()
    found = d.job_files.get_bytes_tagged(upload_key(association, upload_id))
    if found is None:
        raise ValidationFailed("未找到上传的文件(可能未上传完成或已过期),请重新选择文件", code="IMPORT_UPLOAD_GONE")
    data, tag = found
    result = plan(association, data, max_bytes=UPLOAD_MAX_BYTES, progress=progress)
    report = {"mode": "dry_run", "ok": not result.errors, "committed": False, **result.report(),
              "upload_id": upload_id, "elapsed_ms": int((time.monotonic() - started) * 1000)}
    _store_plan(d.job_files, association, upload_id, tag, result)
    d.job_files.put_json(report_key(association, upload_id), report)
    return report


def checked_report(d: Any, principal: Principal, upload_id: str) -> dict[str, Any]:
    """GET /members/imports/{upload_id}: the stored dry-run report of the staff's own upload."""
    association = access.managed_association(principal)
    data = d.job_files.get_bytes(report_key(association, upload_id)) if UPLOAD_ID.match(upload_id) else None
    if data is None:
        raise NotFound("未找到该文件的校验结果,请重新校验", code="IMPORT_NOT_CHECKED")
    report: dict[str, Any] = json.loads(data)
    return report

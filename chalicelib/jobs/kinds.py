"""What each kind of job does: how it splits its work, one chunk, and how it assembles the result.

- export: the members matching the list filters, 1,000 a chunk (a chunk is ~1 s of a worker's
  work; fewer chunks, less queue and state traffic per row); a chunk reads its members and
  stores their export rows; the result is the xlsx, streamed into a multipart upload.
- bulk_certs: a selection (member numbers, or the complete members of a filter), 200 a chunk;
  a chunk issues each certificate (rendered and signed once, then the S3 cache) and stores where
  it is, or why the member cannot have one; the result is the ZIP (ZIP64 when it needs to be)
  with its report, streamed into a multipart upload (never in /tmp: ~6 GB for 60,000
  members), plus the failures as a CSV report of their own.
- import: the rows of a checked upload, 300 a chunk; import_check: the dry run of an uploaded
  file, done while planning (chalicelib/jobs/import_kind.py).
Chunk outputs hold only members of the job's association, so reports never name anyone else.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, Mapping

from chalicelib.errors import AppError, BadRequest, ValidationFailed
from chalicelib.principal import Principal
from chalicelib.spreadsheet_safety import csv_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_CHUNK = 1000
BULK_CHUNK = 200
# The largest association has ~60,000 members; a selection is refused only far above that.
MAX_SELECTION = 200_000


@dataclass(frozen=True)
class Outcome:
    output: dict[str, Any]
    done: int
    failed: int


@dataclass(frozen=True)
class Result:
    key: str
    filename: str
    report_key: str | None = None


def _filters(body: Mapping[str, Any]) -> dict[str, str]:
    raw = body.get("filter") or {}
    if not isinstance(raw, dict) or not all(
            v is None or (isinstance(v, (str, int, float)) and not isinstance(v, bool)) for v in raw.values()):
        raise BadRequest("筛选条件(filter)格式不正确,应为“字段: 文本”的对象", code="INVALID_FILTER")
    return {str(k): str(v) for k, v in raw.items() if v not in (None, "")}


# -- export -----------------------------------------------------------------------------------

def export_params(body: Mapping[str, Any]) -> dict[str, Any]:
    from chalicelib.members import records

    filters = _filters(body)
    records.check_filters(filters)
    return {"filter": filters}


def export_plan(d: Any, job: Any, principal: Principal) -> list[list[str]]:
    from chalicelib.members import records

    numbers = records.numbers_matching(job.association, json.loads(job.params)["filter"])
    return [numbers[i:i + EXPORT_CHUNK] for i in range(0, len(numbers), EXPORT_CHUNK)]


def export_chunk(d: Any, job: Any, principal: Principal, members: list[str]) -> Outcome:
    from chalicelib.members import records

    rows = records.export_records(job.association, members)
    return Outcome({"rows": rows}, len(members), 0)


def export_assemble(d: Any, job: Any, outputs: Iterator[dict[str, Any]], stamp: str) -> Result:
    from chalicelib.members import excel

    def rows() -> Iterator[dict[str, Any]]:
        for out in outputs:
            yield from out["rows"]

    params = json.loads(job.params)
    described = "; ".join(f"{k}={v}" for k, v in sorted(params["filter"].items()))
    key = f"jobs/{job.job_id}/members.xlsx"
    with d.job_files.writer(key, XLSX) as out:
        excel.write_export(rows(), out, exported_by=job.actor, association=job.association,
                           filters=described, exported_at=job.created_at)
    return Result(key, f"会员信息_{job.association}_{stamp}.xlsx")


# -- bulk certificates ------------------------------------------------------------------------------

def bulk_params(body: Mapping[str, Any]) -> dict[str, Any]:
    from chalicelib.members import records

    raw = body.get("member_nos")
    if raw:
        if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
            raise BadRequest("member_nos 应为会员编号列表", code="INVALID_SELECTION")
        if len(raw) > MAX_SELECTION:
            raise ValidationFailed(f"一次最多选择{MAX_SELECTION}人", code="SELECTION_TOO_LARGE")
        return {"member_nos": list(dict.fromkeys(raw))}
    filters = _filters(body)
    records.check_filters(filters)
    return {"filter": filters, "only_complete": bool(body.get("only_complete", True))}


def bulk_plan(d: Any, job: Any, principal: Principal) -> list[list[str]]:
    from chalicelib.members import records

    association, params = job.association, json.loads(job.params)
    if params.get("member_nos"):
        numbers = list(params["member_nos"])
    else:
        numbers = records.numbers_matching(association, params["filter"], only_complete=params["only_complete"])
    return [numbers[i:i + BULK_CHUNK] for i in range(0, len(numbers), BULK_CHUNK)]


def bulk_chunk(d: Any, job: Any, principal: Principal, members: list[str]) -> Outcome:
    from chalicelib.cert import service
    from chalicelib.members import records

    found = records.in_association(job.association, members)
    ok: list[list[str]] = []
    failed: list[list[str]] = []
    # the seal read once for the chunk and the audit entries written 25 a request, not per certificate
    with service.CertificateBatch(d) as certificates:
        for member_no in members:
            member = found.get(member_no)
            if member is None:  # not in this association: no name, nothing about them
                failed.append([member_no, "", "未找到该会员"])
                continue
            try:
                cert = certificates.download(principal, member)
                ok.append([member_no, cert.cache_id, member.name or ""])
            except AppError as err:
                failed.append([member_no, member.name or "", err.message])
    return Outcome({"ok": ok, "failed": failed}, len(members), len(failed))


def bulk_assemble(d: Any, job: Any, outputs: Iterator[dict[str, Any]], stamp: str) -> Result:
    from chalicelib.cert import service
    from chalicelib.cert.bulk import BulkFailure, BulkSuccess, write_zip

    failures: list[list[str]] = []

    def items() -> Iterator[Any]:
        for out in outputs:
            for member_no, name, reason in out["failed"]:
                failures.append([member_no, name, reason])
                yield BulkFailure(member_no, name, reason)
            for (member_no, _, name), pdf in prefetched(d, out["ok"]):
                if pdf is None:
                    failures.append([member_no, name, "证书文件暂不可用,请重新导出"])
                    yield BulkFailure(member_no, name, "证书文件暂不可用,请重新导出")
                else:
                    yield BulkSuccess(member_no, pdf, name)

    key = f"jobs/{job.job_id}/certificates.zip"
    # Streamed into the upload: ~6 GB for 60,000 members, far more than a Lambda's /tmp.
    with d.job_files.writer(key, "application/zip") as out:
        write_zip(items(), out, total=int(job.total),
                  exported_at=datetime.now(service.BEIJING).replace(tzinfo=None))
    report_key = None
    if failures:
        report_key = f"jobs/{job.job_id}/failures.csv"
        d.job_files.upload(report_key, io.BytesIO(failure_csv(failures)), "text/csv")
    return Result(key, f"certificates-{stamp}.zip", report_key)


# PDFs read ahead while the ZIP is written: S3 answers a GET in tens of milliseconds, so one
# reader would spend most of a 60,000-certificate assembly waiting.
PREFETCH = 16


def prefetched(d: Any, entries: list[list[str]]) -> Iterator[tuple[list[str], bytes | None]]:
    """Each (entry, its PDF or None), in order, with up to PREFETCH reads in flight."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=PREFETCH) as pool:
        window: deque[Any] = deque()
        for entry in entries:
            window.append((entry, pool.submit(d.certificates.get_pdf, entry[1]) if entry[1] else None))
            if len(window) >= PREFETCH:
                head, future = window.popleft()
                yield head, future.result() if future else None
        while window:
            head, future = window.popleft()
            yield head, future.result() if future else None


def failure_csv(rows: list[list[str]]) -> bytes:
    """The failed members with the reason (UTF-8 with BOM, so Excel opens it as Chinese)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["会员证书编号", "姓名", "原因"])
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode()


@dataclass(frozen=True)
class Kind:
    label: str
    params: Callable[[Mapping[str, Any]], dict[str, Any]]
    plan: Callable[[Any, Any, Principal], list[list[str]]]  # (deps, job, principal) -> chunks
    chunk: Callable[[Any, Any, Principal, list[str]], Outcome]  # (deps, job, principal, items)
    assemble: Callable[[Any, Any, Iterator[dict[str, Any]], str], Result]


KINDS: dict[str, Kind] = {
    "export": Kind("导出会员信息", export_params, export_plan, export_chunk, export_assemble),
    "bulk_certs": Kind("批量下载会员证", bulk_params, bulk_plan, bulk_chunk, bulk_assemble),
}


def _register_import() -> None:
    from chalicelib.jobs import import_kind

    KINDS["import"] = Kind("导入会员信息", import_kind.params, import_kind.plan, import_kind.chunk,
                           import_kind.assemble)
    KINDS["import_check"] = Kind("校验导入文件", import_kind.params, import_kind.check_plan,
                                 import_kind.check_chunk, import_kind.check_assemble)


_register_import()

"""Starting, watching and cancelling jobs (the HTTP side); the worker side is in worker.py.

A job is started by one request that only records it (one running job of a kind per
association) and queues a "plan" message, so the request returns at once (202) however large
the association; the worker lists the members and queues one message per chunk. Staff see their
association's jobs only (national staff: the overseas members' jobs), like members.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any, Mapping

from chalicelib.db import utcnow_iso
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.jobs import repository as repo
from chalicelib.jobs.kinds import KINDS
from chalicelib.jobs.models import JobModel
from chalicelib.members import records
from chalicelib.principal import Principal

log = logging.getLogger(__name__)
JOB_NOT_FOUND = "未找到该任务"


def view(job: JobModel, now: float | None = None) -> dict[str, Any]:
    """A job as the jobs panel shows it: counts, rate and time left."""
    now = time.time() if now is None else now
    total, done = int(job.total), int(job.done)
    rate = eta = None
    # planning: a job that works while planning (an import check) reports its rows there
    if job.status in ("planning", "running") and job.started and done:
        elapsed = max(now - float(job.started), 0.001)
        rate = round(done / elapsed, 1)
        eta = int((total - done) / rate) if rate else None
    return {"job_id": job.job_id, "kind": job.kind, "label": KINDS[job.kind].label if job.kind in KINDS else job.kind,
            "status": job.status, "total": total, "done": done, "failed": int(job.failed),
            "chunks": int(job.chunks), "chunks_done": int(job.chunks_done), "rate_per_s": rate, "eta_s": eta,
            "created_at": job.created_at, "finished_at": job.finished_at, "message": job.message,
            "has_result": bool(job.result_key), "has_report": bool(job.report_key),
            "upload_id": _upload_id(job)}


def _upload_id(job: JobModel) -> str | None:
    """The file an import job works on, so the page can show its check report."""
    if not job.kind.startswith("import"):
        return None
    return str(json.loads(job.params or "{}").get("upload_id") or "") or None


def start(d: Any, principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST /jobs {"kind": "export"|"bulk_certs", ...the kind's input}: 202 with the job."""
    association = records.managed_association(principal)
    kind = str(body.get("kind") or "")
    if kind not in KINDS:
        raise BadRequest("任务类型不正确", code="INVALID_JOB_KIND")
    params = KINDS[kind].params(body)
    job_id = uuid.uuid4().hex
    job = JobModel(f"job#{job_id}", job_id=job_id, kind=kind, association=association, actor=principal.actor,
                   actor_role=principal.role, status="planning", params=json.dumps(params, ensure_ascii=False),
                   created_at=utcnow_iso(), expires_at=repo.expiry())
    repo.create(job)
    d.job_queue.send([{"job": job_id, "plan": True}])
    log.info("job started id=%s kind=%s association=%s", job_id, kind, association)
    return view(job)


def _own(principal: Principal, job_id: str) -> JobModel:
    association = records.managed_association(principal)
    job = repo.get(job_id) if job_id.isalnum() else None
    if job is None or job.association != association:
        raise NotFound(JOB_NOT_FOUND, code="JOB_NOT_FOUND")
    return job


def list_jobs(principal: Principal) -> dict[str, Any]:
    association = records.managed_association(principal)
    return {"items": [view(j) for j in repo.recent(association)]}


def get(principal: Principal, job_id: str) -> dict[str, Any]:
    return view(_own(principal, job_id))


def cancel(principal: Principal, job_id: str) -> dict[str, Any]:
    job = _own(principal, job_id)
    if not repo.claim(job, "cancelled", ("planning", "running")):
        raise Conflict("任务已结束,无法取消", code="JOB_FINISHED")
    repo.finish(job, "cancelled", finished_at=utcnow_iso(), message="已取消")
    job.refresh(consistent_read=True)
    log.info("job cancelled id=%s", job_id)
    return view(job)


def result(d: Any, principal: Principal, job_id: str, part: str) -> dict[str, Any]:
    """A short-lived link to the result (or, with part=report, the failure report)."""
    job = _own(principal, job_id)
    key = job.report_key if part == "report" else job.result_key
    if job.status != "done" or not key:
        raise NotFound("该任务没有可下载的文件", code="JOB_NO_RESULT")
    name = f"failures-{job.job_id[:8]}.csv" if part == "report" else (job.result_name or "result")
    return {"url": d.job_files.link(key, name), "filename": name}

"""Bulk certificate downloads as a job the client advances step by step.

A selection of hundreds of members takes longer than one API Gateway request may run (29 s), and
staff should see real progress. So `start` records the selection (explicit member numbers, or
"all complete members of this filter") in the TTL table; each `step` issues the next few
certificates (rendered and signed once, then served from the S3 cache) and reports done/total;
the step that finishes writes the ZIP, with its report of members that failed a gate, to the
bucket under certificates/bulk/ and returns a short-lived link. Every certificate is audited as a
download, like a single one.
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from pynamodb.exceptions import DoesNotExist

from chalicelib import metrics
from chalicelib.bootstrap import Deps
from chalicelib.cert import service
from chalicelib.cert.bulk import BulkFailure, BulkSuccess, write_zip
from chalicelib.cert.models import JobModel
from chalicelib.errors import AppError, BadRequest, NotFound, ValidationFailed
from chalicelib.members import access, listing, records
from chalicelib.principal import Principal
from chalicelib.storage import PhotoStore

MAX_MEMBERS = 2000
STEP_SIZE = 10
TTL = timedelta(hours=6)


def _key(job_id: str) -> str:
    return f"bulkcert#{job_id}"


def _filter_values(raw: Any) -> dict[str, str]:
    """The list filter of a bulk request: an object of text (or number) values, as the list's query."""
    if raw is None or raw == {}:
        return {}
    if not isinstance(raw, dict) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in raw.values()):
        raise BadRequest("筛选条件(filter)格式不正确,应为“字段: 文本”的对象", code="INVALID_FILTER")
    return {str(k): str(v) for k, v in raw.items()}


def start(principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    association = access.managed_association(principal)
    if body.get("member_nos"):
        raw = body["member_nos"]
        if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
            raise BadRequest("member_nos 应为会员编号列表", code="INVALID_SELECTION")
        selection = list(dict.fromkeys(raw))  # keep order, drop repeats
    else:
        filters = listing.parse_filters(_filter_values(body.get("filter")))
        selection = [m.member_no for m in listing.iterate(association, filters)
                     if not body.get("only_complete", True) or m.complete]
    if not selection:
        raise ValidationFailed("没有选中任何会员", code="EMPTY_SELECTION")
    if len(selection) > MAX_MEMBERS:
        raise ValidationFailed(f"一次最多导出{MAX_MEMBERS}人的会员证,请缩小筛选范围", code="SELECTION_TOO_LARGE")
    job_id = uuid.uuid4().hex
    JobModel(_key(job_id), data={"association": association, "actor": principal.actor,
                                       "selection": selection, "done": 0, "ok": [], "failed": []},
                   expires_at=datetime.now(timezone.utc) + TTL).save()
    metrics.count(metrics.JOBS_STARTED)
    return {"job_id": job_id, "total": len(selection), "done": 0, "finished": False}


def _job(principal: Principal, job_id: str) -> JobModel:
    association = access.managed_association(principal)
    try:
        job = JobModel.get(_key(job_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("未找到该导出任务", code="JOB_NOT_FOUND") from None
    if job.expired() or job.data["association"] != association:
        raise NotFound("未找到该导出任务", code="JOB_NOT_FOUND")
    return job


def _progress(job_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"job_id": job_id, "total": len(data["selection"]), "done": int(data["done"]),
            "failed": len(data["failed"]), "finished": bool(data.get("zip_key"))}


def step(d: Deps, principal: Principal, job_id: str) -> dict[str, Any]:
    job = _job(principal, job_id)
    data = job.data.as_dict() if hasattr(job.data, "as_dict") else dict(job.data)
    selection, done = list(data["selection"]), int(data["done"])
    for member_no in selection[done:done + STEP_SIZE]:
        try:
            member = access.get_member(principal, member_no)
            cert = service.download(d, principal, member)
            data["ok"].append([member_no, cert.key, member.name])
        except AppError as err:
            name = records.name_of(member_no) if err.code != "MEMBER_NOT_FOUND" else ""
            data["failed"].append([member_no, name, err.message])
        done += 1
    data["done"] = done
    if done >= len(selection) and not data.get("zip_key"):
        data["zip_key"] = _write_zip(d, job_id, data)
        metrics.count(metrics.JOBS_FINISHED)
    job.data = data
    job.save()
    body = _progress(job_id, data)
    if data.get("zip_key"):
        body.update(_link(d, data["zip_key"]))
    return body


def status(d: Deps, principal: Principal, job_id: str) -> dict[str, Any]:
    job = _job(principal, job_id)
    data = job.data.as_dict() if hasattr(job.data, "as_dict") else dict(job.data)
    body = _progress(job_id, data)
    if data.get("zip_key"):
        body.update(_link(d, data["zip_key"]))
    return body


def _write_zip(d: Deps, job_id: str, data: Mapping[str, Any]) -> str:
    def items() -> Any:
        for member_no, name, reason in data["failed"]:
            yield BulkFailure(member_no, name, reason)
        for member_no, key, name in data["ok"]:
            stored = d.photos.get(key)
            if stored is None:
                yield BulkFailure(member_no, name, "证书文件暂不可用,请重新导出")
            else:
                yield BulkSuccess(member_no, stored.body, name)

    out = io.BytesIO()
    write_zip(items(), out, total=len(data["selection"]),
              exported_at=datetime.now(service.BEIJING).replace(tzinfo=None))
    key = f"{PhotoStore.CERT_PREFIX}bulk/{job_id}.zip"
    d.photos.put(key, out.getvalue(), content_type="application/zip")
    return key


def _link(d: Deps, key: str) -> dict[str, Any]:
    filename = f"certificates-{datetime.now(service.BEIJING):%Y%m%d-%H%M}.zip"
    return {"url": d.photos.presigned_get(key, expires_in=600, filename=filename), "filename": filename}

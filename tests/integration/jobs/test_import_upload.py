"""Large import files: a presigned POST straight to S3, the dry run as an `import_check` job that
reads the file from there, and the import job on the same upload; scoped to the association."""

from __future__ import annotations

import base64
import json

import requests

from chalicelib.jobs import import_kind
from chalicelib.members import imports
from tests.integration.jobs.test_import_job import _counting_checks, _file, _start
from tests.integration.members.test_excel import XLSX


def _presigned(client, who) -> dict:
    r = client.http.post("/members/imports/uploads", headers=who.headers, body="{}")
    assert r.status_code == 200, r.body
    return r.json_body


def _upload(client, who, data: bytes) -> str:
    post = _presigned(client, who)
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("members.xlsx", data, XLSX)})
    assert resp.status_code in (200, 201, 204), resp.text
    return str(post["upload_id"])


def _check(client, who, worker, upload_id: str) -> dict:
    r = client.http.post("/jobs", headers=who.headers, body=json.dumps({"kind": "import_check", "upload_id": upload_id}))
    assert r.status_code == 202, r.body
    worker.drain()
    return client.http.get(f"/jobs/{r.json_body['job_id']}", headers=who.headers).json_body


def test_the_presigned_post_pins_key_type_and_a_size_far_above_the_request_cap(client, aws, persona):
    bj = persona("association_staff", "110000")
    post = _presigned(client, bj)
    conditions = json.loads(base64.b64decode(post["fields"]["policy"]))["conditions"]
    assert ["content-length-range", 1, 30 * 1024 * 1024] in conditions
    assert post["max_bytes"] == 30 * 1024 * 1024 > 6 * 1024 * 1024
    assert {"Content-Type": XLSX} in conditions
    assert {"key": f"jobs/imports/110000/{post['upload_id']}.xlsx"} in conditions
    # members have no such door
    member = persona("member", member_no="110000000001")
    assert client.http.post("/members/imports/uploads", headers=member.headers, body="{}").status_code == 403


def test_a_file_uploaded_to_s3_is_checked_by_a_job_then_imported(client, aws, persona, worker, make_member,
                                                                   monkeypatch):
    monkeypatch.setattr(import_kind, "IMPORT_CHUNK", 4)
    bj = persona("association_staff", "110000")
    data, existing, _ = _file(client, bj, make_member)
    upload_id = _upload(client, bj, data)
    r = client.http.get(f"/members/imports/{upload_id}", headers=bj.headers)
    assert r.status_code == 404 and r.json_body["code"] == "IMPORT_NOT_CHECKED" and "校验" in r.json_body["message"]

    job = _check(client, bj, worker, upload_id)
    assert job["status"] == "done" and job["kind"] == "import_check" and job["upload_id"] == upload_id, job
    assert job["label"] == "校验导入文件"
    report = client.http.get(f"/members/imports/{upload_id}", headers=bj.headers).json_body
    assert (report["rows"], report["create"], report["update"], report["upload_id"]) == (10, 7, 1, upload_id)
    assert report["ok"] is False and report["error_rows"] == 2
    assert {e["row"] for e in report["errors"]} == {10, 11}
    # the same report as the synchronous dry run of the same bytes
    sync = client.http.post("/members/imports?mode=dry_run", headers={**bj.headers, "Content-Type": XLSX},
                            body=data).json_body
    assert {k: sync[k] for k in ("rows", "create", "update", "errors")} == \
           {k: report[k] for k in ("rows", "create", "update", "errors")}

    imported = _start(client, bj, upload_id)
    worker.drain()
    done = client.http.get(f"/jobs/{imported['job_id']}", headers=bj.headers).json_body
    assert (done["status"], done["total"], done["failed"]) == ("done", 10, 2), done
    existing.refresh()
    assert existing.profile["qq"] == "778899"


def test_another_associations_upload_is_neither_checked_nor_shown(client, aws, persona, worker, make_member):
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    upload_id = _upload(client, bj, data)
    assert _check(client, bj, worker, upload_id)["status"] == "done"
    sh = persona("association_staff", "310000")
    r = client.http.get(f"/members/imports/{upload_id}", headers=sh.headers)
    assert r.status_code == 404 and r.json_body["code"] == "IMPORT_NOT_CHECKED"
    job = _check(client, sh, worker, upload_id)
    assert job["status"] == "failed" and "未找到上传的文件" in job["message"], job
    imported = _start(client, sh, upload_id)
    worker.drain()
    assert client.http.get(f"/jobs/{imported['job_id']}", headers=sh.headers).json_body["status"] == "failed"


def test_a_file_over_the_upload_limit_is_refused_when_read(client, aws, persona, worker, make_member, monkeypatch):
    """S3 refuses an upload over the policy's content-length-range; moto does not enforce POST
    policies, so the server's own check when it reads the file is what this test can prove."""
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    upload_id = _upload(client, bj, data)
    monkeypatch.setattr(imports, "UPLOAD_MAX_BYTES", len(data) - 1)
    job = _check(client, bj, worker, upload_id)
    assert job["status"] == "failed" and "文件超过" in job["message"], job


def test_a_missing_or_malformed_upload_fails_in_chinese(client, aws, persona, worker):
    bj = persona("association_staff", "110000")
    r = client.http.post("/jobs", headers=bj.headers, body=json.dumps({"kind": "import_check", "upload_id": "../x"}))
    assert r.status_code == 400 and r.json_body["code"] == "INVALID_UPLOAD"
    assert client.http.get("/members/imports/not-an-id", headers=bj.headers).status_code == 404
    job = _check(client, bj, worker, "0" * 32)
    assert job["status"] == "failed" and "未找到上传的文件" in job["message"]


def test_the_synchronous_commit_is_gone(client, aws, persona, make_member):
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    r = client.http.post("/members/imports?mode=commit", headers={**bj.headers, "Content-Type": XLSX}, body=data)
    assert r.status_code == 422 and r.json_body["code"] == "IMPORT_COMMIT_IS_A_JOB"
    assert "后台任务" in r.json_body["message"]


def test_a_check_shows_rows_checked_rate_and_time_left_while_it_runs(client, aws, persona, worker, make_member,
                                                                     monkeypatch):
    """What the jobs panel polls while a large file is checked: GET /jobs/{id} mid-check says
    planning with rows checked / total, a rate and a time left; the finished check keeps its count,
    and the stored plan lets the import skip checking the file again."""
    from chalicelib.jobs import repository

    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(import_kind, "PROGRESS_SECONDS", 0.0)
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    upload_id = _upload(client, bj, data)
    seen: list[dict] = []
    real = repository.progress

    def observed(job, done, total):
        real(job, done, total)
        job_id = job.job_id
        seen.append(client.http.get(f"/jobs/{job_id}", headers=bj.headers).json_body)

    monkeypatch.setattr(repository, "progress", observed)
    job = _check(client, bj, worker, upload_id)
    assert job["status"] == "done" and (job["total"], job["done"]) == (10, 10), job
    assert [s["status"] for s in seen] == ["planning"] * len(seen) and len(seen) >= 4
    assert all(s["total"] == 10 for s in seen)
    done = [s["done"] for s in seen]
    assert done == sorted(done) and done[0] < 10 and done[-1] == 10
    assert any(s["rate_per_s"] and s["eta_s"] is not None for s in seen if s["done"] < 10), seen
    # a reload shows the same: the jobs list carries the counts
    listed = client.http.get("/jobs", headers=bj.headers).json_body["items"]
    assert (listed[0]["job_id"], listed[0]["total"], listed[0]["done"]) == (job["job_id"], 10, 10)
    checks = _counting_checks(monkeypatch)
    imported = _start(client, bj, upload_id)
    worker.drain()
    assert checks == []  # the import took the check job's stored plan
    body = client.http.get(f"/jobs/{imported['job_id']}", headers=bj.headers).json_body
    assert (body["status"], body["total"], body["failed"]) == ("done", 10, 2), body


def test_check_progress_reaches_the_job_record_at_most_every_two_seconds(monkeypatch):
    from chalicelib.jobs import repository

    writes: list[tuple[int, int]] = []
    monkeypatch.setattr(repository, "progress", lambda job, done, total: writes.append((done, total)))
    now = [100.0]
    progress = import_kind._Progress(object(), clock=lambda: now[0])
    for t, done in ((0.0, 0), (0.5, 500), (1.9, 1000), (2.1, 1500), (3.0, 2000), (3.1, 2500)):
        now[0] = 100.0 + t
        progress(done, 2500)
    assert writes == [(0, 2500), (1500, 2500), (2500, 2500)]

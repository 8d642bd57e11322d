"""Jobs run by queue-driven workers: chunks are idempotent, cancel stops them, one job a kind."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from chalicelib.cert.bulk import entry_name
from chalicelib.jobs import kinds, repository
from chalicelib.jobs import worker as job_worker
from tests.integration.jobs.conftest import fetch, seed_members


def _start(client, who, **body):
    return client.http.post("/jobs", headers=who.headers, body=json.dumps(body))


def _export_rows(client, who, job_id) -> list[str]:
    link = client.http.get(f"/jobs/{job_id}/result", headers=who.headers)
    assert link.status_code == 200, link.body
    wb = load_workbook(io.BytesIO(fetch(link.json_body["url"])), read_only=True)
    ws = wb.worksheets[0]
    return [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]


def _small_chunks(monkeypatch, size=100):
    monkeypatch.setattr(kinds, "EXPORT_CHUNK", size)


def test_export_job_runs_in_chunks_and_offers_a_link(client, aws, persona, worker, monkeypatch):
    _small_chunks(monkeypatch)
    numbers = seed_members("110000", 350)
    seed_members("310000", 20)
    bj = persona("association_staff", "110000")
    r = _start(client, bj, kind="export")
    assert r.status_code == 202, r.body
    job = r.json_body
    assert job["status"] == "planning" and job["kind"] == "export"
    worker.drain()
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and body["total"] == 350 and body["done"] == 350 and body["chunks"] == 4
    assert _export_rows(client, bj, job["job_id"]) == numbers
    listed = client.http.get("/jobs", headers=bj.headers).json_body["items"]
    assert [j["job_id"] for j in listed] == [job["job_id"]]
    # another association sees neither the job nor its result
    sh = persona("association_staff", "310000")
    assert client.http.get(f"/jobs/{job['job_id']}", headers=sh.headers).status_code == 404
    assert client.http.get(f"/jobs/{job['job_id']}/result", headers=sh.headers).status_code == 404
    assert client.http.get("/jobs", headers=sh.headers).json_body["items"] == []


def test_a_chunk_failing_once_gives_one_complete_result(client, aws, persona, worker, monkeypatch):
    _small_chunks(monkeypatch)
    numbers = seed_members("110000", 300)
    real = kinds.KINDS["export"]
    calls = {"n": 0}

    def flaky(d, association, principal, members):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated failure")
        return real.chunk(d, association, principal, members)

    monkeypatch.setitem(job_worker.KINDS, "export", kinds.Kind(real.label, real.params, real.plan, flaky,
                                                               real.assemble))
    bj = persona("association_staff", "110000")
    job = _start(client, bj, kind="export").json_body
    worker.drain()
    assert worker.failures == 1
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and body["done"] == 300 and body["chunks_done"] == 3
    assert _export_rows(client, bj, job["job_id"]) == numbers


@pytest.mark.parametrize("crash_in", ["count", "assemble"])
def test_a_worker_killed_mid_chunk_loses_and_duplicates_nothing(client, aws, persona, worker, monkeypatch,
                                                                crash_in):
    _small_chunks(monkeypatch)
    numbers = seed_members("110000", 300)
    bj = persona("association_staff", "110000")
    crashed = {"done": False}

    if crash_in == "count":
        real_count = repository.count_chunk

        def count_then_die(job, chunk, done, failed):
            if chunk == 1 and not crashed["done"]:
                crashed["done"] = True
                real_count(job, chunk, done, failed)  # counted, then the invocation dies
                raise SystemExit("killed")
            return real_count(job, chunk, done, failed)

        monkeypatch.setattr(job_worker.repo, "count_chunk", count_then_die)
    else:
        real = kinds.KINDS["export"]

        def assemble_then_die(d, job, outputs, stamp):
            if not crashed["done"]:
                crashed["done"] = True
                next(outputs)
                raise SystemExit("killed")
            return real.assemble(d, job, outputs, stamp)

        monkeypatch.setitem(job_worker.KINDS, "export", kinds.Kind(real.label, real.params, real.plan, real.chunk,
                                                                   assemble_then_die))
    job = _start(client, bj, kind="export").json_body
    worker.drain()
    assert crashed["done"] and worker.failures == 1
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and body["done"] == 300 and body["chunks_done"] == 3
    assert _export_rows(client, bj, job["job_id"]) == numbers


def test_cancel_stops_further_chunks(client, aws, persona, worker, monkeypatch):
    _small_chunks(monkeypatch)
    seed_members("110000", 300)
    bj = persona("association_staff", "110000")
    job = _start(client, bj, kind="export").json_body
    worker.drain(only=lambda m: bool(m.get("plan")))  # planned: three chunk messages queued
    worker.drain(limit=1, only=lambda m: m.get("chunk") == 0)
    r = client.http.post(f"/jobs/{job['job_id']}/cancel", headers=bj.headers)
    assert r.status_code == 200 and r.json_body["status"] == "cancelled"
    assert worker.drain() == 2  # the remaining chunks arrive and are dropped
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "cancelled" and body["done"] == 100 and body["chunks_done"] == 1
    assert not body["has_result"]
    assert client.http.get(f"/jobs/{job['job_id']}/result", headers=bj.headers).status_code == 404
    assert client.http.post(f"/jobs/{job['job_id']}/cancel", headers=bj.headers).status_code == 409


def test_one_running_job_of_a_kind_per_association(client, aws, persona, worker):
    seed_members("110000", 10)
    bj = persona("association_staff", "110000")
    first = _start(client, bj, kind="export")
    assert first.status_code == 202
    second = _start(client, bj, kind="export")
    assert second.status_code == 409 and second.json_body["code"] == "JOB_RUNNING"
    # another kind, or another association, may run meanwhile
    assert _start(client, bj, kind="bulk_certs", member_nos=["110000000001"]).status_code == 202
    assert _start(client, persona("association_staff", "310000"), kind="export").status_code == 202
    # once the first has finished, a new export may start
    worker.drain()
    assert _start(client, bj, kind="export").status_code == 202


def test_bad_requests_are_refused_in_chinese(client, aws, persona):
    bj = persona("association_staff", "110000")
    r = _start(client, bj, kind="nope")
    assert r.status_code == 400 and r.json_body["code"] == "INVALID_JOB_KIND"
    r = _start(client, bj, kind="export", filter={"status": "bogus"})
    assert r.status_code == 400 and r.json_body["code"] == "INVALID_FILTER"
    member = persona("member", member_no="110000000001")
    assert _start(client, member, kind="export").status_code == 403


def test_bulk_certificates_job_zips_pdfs_and_reports_failures_without_foreign_names(
        client, aws, persona, make_member, with_photo, worker, monkeypatch):
    import zipfile

    monkeypatch.setattr(kinds, "BULK_CHUNK", 2)
    good = [with_photo() for _ in range(3)]
    no_photo = make_member("110000")
    foreign = make_member("310000")
    bj = persona("association_staff", "110000")
    selection = [m.member_no for m in good] + [no_photo.member_no, foreign.member_no]
    job = _start(client, bj, kind="bulk_certs", member_nos=selection).json_body
    worker.drain()
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and body["total"] == 5 and body["failed"] == 2 and body["chunks"] == 3
    link = client.http.get(f"/jobs/{job['job_id']}/result", headers=bj.headers).json_body
    archive = zipfile.ZipFile(io.BytesIO(fetch(link["url"])))
    assert sorted(n for n in archive.namelist() if n.endswith(".pdf")) == sorted(entry_name(m.member_no, m.name) for m in good)
    report = client.http.get(f"/jobs/{job['job_id']}/result?part=report", headers=bj.headers).json_body
    text = fetch(report["url"]).decode("utf-8-sig")
    assert no_photo.member_no in text and no_photo.name in text
    assert foreign.member_no in text and foreign.name not in text


def test_a_failed_step_comes_back_soon_not_after_the_visibility_timeout(client, aws, persona, worker,
                                                                        monkeypatch):
    """The jobs queue hides a received message for 90 minutes (sized for the longest step); a
    step that raises makes its message visible again after the worker's short retry delay."""
    import app as app_module
    from tests.integration.jobs.conftest import Ctx, sqs_event

    seed_members("110000", 10)
    real = kinds.KINDS["export"]

    def broken(*args):
        raise RuntimeError("simulated failure")

    monkeypatch.setitem(job_worker.KINDS, "export", kinds.Kind(real.label, real.params, real.plan, broken,
                                                               real.assemble))
    monkeypatch.setattr(job_worker, "RETRY_SECONDS", 0)
    bj = persona("association_staff", "110000")
    _start(client, bj, kind="export")
    assert worker.drain(only=lambda m: bool(m.get("plan"))) == 1
    hidden = worker.sqs.get_queue_attributes(QueueUrl=worker.url, AttributeNames=["VisibilityTimeout"])
    assert int(hidden["Attributes"]["VisibilityTimeout"]) >= 5400
    [msg] = worker.sqs.receive_message(QueueUrl=worker.url, MaxNumberOfMessages=1)["Messages"]
    with pytest.raises(RuntimeError):
        app_module.job_worker({"Records": [{**sqs_event(msg["Body"], worker.arn)["Records"][0],
                                            "receiptHandle": msg["ReceiptHandle"]}]}, Ctx())
    again = worker.sqs.receive_message(QueueUrl=worker.url, MaxNumberOfMessages=1).get("Messages", [])
    assert [m["Body"] for m in again] == [msg["Body"]]

"""Bulk certificates as a job: each failure says why in the staff's words, the ZIP carries its
report, another association sees nothing, and a filter takes only my complete members."""

from __future__ import annotations

import io
import json
import zipfile

from chalicelib.cert.bulk import REPORT_NAME, entry_name
from tests.integration.jobs.conftest import fetch


def _start(client, who, **body):
    r = client.http.post("/jobs", headers=who.headers, body=json.dumps({"kind": "bulk_certs", **body}))
    assert r.status_code == 202, r.body
    return r.json_body["job_id"]


def _zip(client, who, job_id) -> zipfile.ZipFile:
    link = client.http.get(f"/jobs/{job_id}/result", headers=who.headers)
    assert link.status_code == 200, link.body
    return zipfile.ZipFile(io.BytesIO(fetch(link.json_body["url"])))


def test_failures_say_why_in_both_reports_and_stay_in_scope(client, aws, persona, make_member, with_photo,
                                                             worker):
    good = [with_photo() for _ in range(2)]
    incomplete = with_photo(complete=False)
    no_photo = make_member("110000")
    foreign = make_member("310000")
    bj = persona("association_staff", "110000")
    job_id = _start(client, bj, member_nos=[m.member_no for m in (*good, incomplete, no_photo, foreign)])
    worker.drain()
    body = client.http.get(f"/jobs/{job_id}", headers=bj.headers).json_body
    assert body["status"] == "done" and (body["total"], body["failed"]) == (5, 3)

    archive = _zip(client, bj, job_id)
    assert set(archive.namelist()) == {entry_name(m.member_no, m.name) for m in good} | {REPORT_NAME}
    assert all(f"{m.member_no}_{m.name}.pdf" in archive.namelist() for m in good)  # number and name
    assert archive.read(entry_name(good[0].member_no, good[0].name)).startswith(b"%PDF")
    in_zip = archive.read(REPORT_NAME).decode("utf-8-sig")
    link = client.http.get(f"/jobs/{job_id}/result?part=report", headers=bj.headers).json_body
    failures = fetch(link["url"]).decode("utf-8-sig")
    for report in (in_zip, failures):
        assert incomplete.member_no in report and "请将会员必填信息补充完整" in report
        assert no_photo.member_no in report and "没有查询到照片信息" in report
        assert foreign.member_no in report and "未找到该会员" in report
        assert foreign.name not in report  # out of scope: not even the name leaks
    assert all(m.member_no in in_zip and "已生成" in in_zip for m in good)

    sh = persona("association_staff", "310000")
    assert client.http.get(f"/jobs/{job_id}", headers=sh.headers).status_code == 404
    assert client.http.get(f"/jobs/{job_id}/result", headers=sh.headers).status_code == 404
    assert client.http.get(f"/jobs/{job_id}/result?part=report", headers=sh.headers).status_code == 404


def test_a_filter_takes_the_complete_members_of_my_association(client, aws, persona, make_member, with_photo,
                                                               worker):
    mine = with_photo()
    make_member("110000", complete=False)
    with_photo("310000")
    bj = persona("association_staff", "110000")
    job_id = _start(client, bj, filter={"photo_status": "accepted"})
    worker.drain()
    body = client.http.get(f"/jobs/{job_id}", headers=bj.headers).json_body
    assert body["status"] == "done" and (body["total"], body["failed"]) == (1, 0) and not body["has_report"]
    assert [n for n in _zip(client, bj, job_id).namelist() if n.endswith(".pdf")] == [
        entry_name(mine.member_no, mine.name)]


def test_a_chunk_counts_its_certificates_in_one_metric_line(client, aws, persona, with_photo, worker, capsys):
    """One EMF line per chunk carrying its total, not one per certificate (60,000 lines a job)."""
    members = [with_photo() for _ in range(3)]
    bj = persona("association_staff", "110000")
    capsys.readouterr()
    _start(client, bj, member_nos=[m.member_no for m in members])
    worker.drain()
    issued = [line for line in capsys.readouterr().out.splitlines() if '"CertificatesIssued"' in line]
    assert [json.loads(line)["CertificatesIssued"] for line in issued] == [3]

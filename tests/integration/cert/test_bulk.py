"""Bulk certificate ZIPs: a job advanced step by step, failures listed in the ZIP's report."""

import io
import zipfile

import requests


def test_bulk_job_reports_progress_and_lists_failures(client, aws, persona, make_member, with_photo):
    good = [with_photo(photo="hopper_01") for _ in range(12)]
    incomplete = with_photo(complete=False, photo="hopper_01")
    no_photo = make_member("110000")
    foreign = make_member("310000")
    bj = persona("association_staff", "110000")
    selection = [m.member_no for m in good] + [incomplete.member_no, no_photo.member_no, foreign.member_no]
    r = client.http.post("/members/certificates/bulk", headers=bj.headers, body=__import__("json").dumps(
        {"member_nos": selection}))
    assert r.status_code == 200, r.body
    job = r.json_body
    assert job["total"] == 15 and job["done"] == 0

    progress = []
    while True:
        body = client.http.post(f"/members/certificates/bulk/{job['job_id']}/next", headers=bj.headers).json_body
        progress.append(body["done"])
        if body["finished"]:
            break
    assert progress == [10, 15] and body["failed"] == 3
    archive = zipfile.ZipFile(io.BytesIO(requests.get(body["url"]).content))
    names = set(archive.namelist())
    assert {f"{m.member_no}_{m.name}.pdf" for m in good} | {"report.csv"} == names
    report = archive.read("report.csv").decode("utf-8-sig")
    assert incomplete.member_no in report and "请将会员必填信息补充完整" in report
    assert no_photo.member_no in report and "没有查询到照片信息" in report
    assert foreign.member_no in report and "未找到该会员" in report
    assert foreign.name not in report  # out of scope: not even the name leaks

    sh = persona("association_staff", "310000")
    assert client.http.get(f"/members/certificates/bulk/{job['job_id']}", headers=sh.headers).status_code == 404


def test_bulk_by_filter_takes_complete_members_of_my_association(client, aws, persona, make_member, with_photo):
    a = with_photo(photo="hopper_01")
    make_member("110000", complete=False)
    make_member("310000")
    bj = persona("association_staff", "110000")
    r = client.http.post("/members/certificates/bulk", headers=bj.headers, body='{"filter": {"photo_status": "accepted"}}')
    assert r.status_code == 200, r.body
    assert r.json_body["total"] == 1
    body = client.http.post(f"/members/certificates/bulk/{r.json_body['job_id']}/next", headers=bj.headers).json_body
    assert body["finished"] and body["failed"] == 0
    archive = zipfile.ZipFile(io.BytesIO(requests.get(body["url"]).content))
    assert f"{a.member_no}_{a.name}.pdf" in archive.namelist()

"""The import commit as a job: the dry run keeps the file, the job applies the rows in chunks,
a redelivered chunk duplicates nothing, and the rows that cannot be imported are the report."""

from __future__ import annotations

import csv
import io
import json

from chalicelib.jobs import import_kind, kinds
from chalicelib.jobs import worker as job_worker
from chalicelib.members import import_rows, imports
from chalicelib.members.models import IdClaimModel, MemberModel
from tests.integration.jobs.conftest import fetch
from tests.integration.members.test_excel import XLSX, fake_rows, fill

HEADERS = {"Content-Type": XLSX}


def _template(client, who) -> bytes:
    r = client.http.get("/members/import-template", headers={**who.headers, "Accept": XLSX})
    assert r.status_code == 200
    return r.body


def _dry_run(client, who, data: bytes) -> dict:
    r = client.http.post("/members/imports?mode=dry_run", headers={**who.headers, **HEADERS}, body=data)
    assert r.status_code == 200, r.body
    return r.json_body


def _start(client, who, upload_id: str) -> dict:
    r = client.http.post("/jobs", headers=who.headers, body=json.dumps({"kind": "import", "upload_id": upload_id}))
    assert r.status_code == 202, r.body
    return r.json_body


def _csv(client, who, job_id: str, part: str = "") -> list[list[str]]:
    link = client.http.get(f"/jobs/{job_id}/result" + (f"?part={part}" if part else ""), headers=who.headers)
    assert link.status_code == 200, link.body
    return list(csv.reader(io.StringIO(fetch(link.json_body["url"]).decode("utf-8-sig"))))[1:]


def _members(association: str) -> list[MemberModel]:
    return [m for m in MemberModel.scan(MemberModel.association == association)]


def _claims() -> int:
    return sum(1 for _ in IdClaimModel.scan(IdClaimModel.member_no.startswith("idnum#")))


def _file(client, who, make_member) -> tuple[bytes, MemberModel, MemberModel]:
    existing = make_member("110000")
    elsewhere = make_member("310000")
    rows = fake_rows(7) + [
        {**{k: existing.profile[k] for k in ("name", "id_type", "id_number")}, "qq": "778899"},
        {k: elsewhere.profile[k] for k in ("name", "id_type", "id_number")},
        {**fake_rows(1, seed=9)[0], "mobile": "123"},
    ]
    return fill(_template(client, who), rows), existing, elsewhere


def test_an_import_job_applies_every_row_and_reports_the_rest(client, aws, persona, worker, make_member,
                                                               monkeypatch):
    monkeypatch.setattr(import_kind, "IMPORT_CHUNK", 3)
    bj = persona("association_staff", "110000")
    data, existing, elsewhere = _file(client, bj, make_member)
    report = _dry_run(client, bj, data)
    assert report["rows"] == 10 and report["create"] == 7 and report["update"] == 1 and report["upload_id"]
    before = len(_members("110000"))
    job = _start(client, bj, report["upload_id"])
    assert job["kind"] == "import"
    worker.drain()
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done", body
    assert (body["total"], body["done"], body["failed"], body["chunks"]) == (10, 10, 2, 4)
    assert len(_members("110000")) == before + 7
    existing.refresh()
    assert existing.profile["qq"] == "778899"
    created = _csv(client, bj, job["job_id"])
    assert [int(r[0]) for r in created] == list(range(2, 9)) and all(r[1].startswith("110000") for r in created)
    failures = _csv(client, bj, job["job_id"], "report")
    assert [int(r[0]) for r in failures] == [10, 11]
    assert "其他协会" in failures[0][1] and "手机" in failures[1][1]
    assert elsewhere.name not in json.dumps(failures, ensure_ascii=False)
    # once the result is assembled only it and the report remain (chunk inputs and outputs go)
    listed = aws.job_files._s3.list_objects_v2(Bucket=aws.job_files.bucket, Prefix=f"jobs/{job['job_id']}/")
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", [])) == ["failures.csv", "new-members.csv"]


def test_a_chunk_redelivered_after_success_creates_no_duplicate(client, aws, persona, worker, make_member,
                                                                 monkeypatch):
    monkeypatch.setattr(import_kind, "IMPORT_CHUNK", 4)
    real = kinds.KINDS["import"]
    calls = {"n": 0}

    def applied_then_killed(d, job, principal, members):
        outcome = real.chunk(d, job, principal, members)
        calls["n"] += 1
        if calls["n"] == 1:  # the rows are written, the message is not deleted: it comes back
            raise SystemExit("invocation killed after its writes")
        return outcome

    monkeypatch.setitem(job_worker.KINDS, "import", kinds.Kind(real.label, real.params, real.plan,
                                                               applied_then_killed, real.assemble))
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    before, claims_before = len(_members("110000")), _claims()
    job = _start(client, bj, _dry_run(client, bj, data)["upload_id"])
    worker.drain()
    assert worker.failures == 1
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and (body["done"], body["failed"]) == (10, 2)
    members = _members("110000")
    assert len(members) == before + 7
    assert len({m.id_key for m in members}) == len(members)
    assert _claims() == claims_before + 7
    created = _csv(client, bj, job["job_id"])
    assert len(created) == 7 and len({r[1] for r in created}) == 7
    # a chunk delivered once more after the job is done (its rows file is gone by then) is
    # dropped: still no new member, claim or number
    first_chunk = next(m for m in worker.delivered if "chunk" in m)
    job_worker.handle_message(aws, first_chunk)
    assert len(_members("110000")) == before + 7 and _claims() == claims_before + 7
    assert client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body["done"] == 10


def test_an_upload_of_another_association_is_not_found(client, aws, persona, worker, make_member):
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    upload_id = _dry_run(client, bj, data)["upload_id"]
    sh = persona("association_staff", "310000")
    job = _start(client, sh, upload_id)
    worker.drain()
    body = client.http.get(f"/jobs/{job['job_id']}", headers=sh.headers).json_body
    assert body["status"] == "failed" and "重新检查" in body["message"]
    assert client.http.post("/jobs", headers=sh.headers,
                            body=json.dumps({"kind": "import", "upload_id": "../x"})).status_code == 400


def test_a_staff_edit_between_the_check_and_the_chunk_is_not_overwritten(client, aws, persona, worker,
                                                                          make_member):
    bj = persona("association_staff", "110000")
    data, existing, _ = _file(client, bj, make_member)  # the file sets existing's qq to 778899
    job = _start(client, bj, _dry_run(client, bj, data)["upload_id"])
    worker.drain(only=lambda m: bool(m.get("plan")))  # checked: existing is to be updated
    fresh = MemberModel.get(existing.member_no)
    fresh.profile = {**fresh.profile.as_dict(), "qq": "112233"}
    fresh.save()  # staff edit after the check
    worker.drain()
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and body["failed"] == 3, body
    failures = {int(r[0]): r[1] for r in _csv(client, bj, job["job_id"], "report")}
    assert failures[9] == import_rows.CONFLICT  # row 9 is existing's
    assert MemberModel.get(existing.member_no).profile["qq"] == "112233"
def test_an_id_number_claimed_after_the_check_fails_only_its_row(client, aws, persona, worker):
    """New rows claim their ID numbers 100 a transaction: a claim taken by someone else in the
    meantime cancels its transaction, and only its own row fails; the others are created."""
    bj = persona("association_staff", "110000")
    rows = fake_rows(5)
    job = _start(client, bj, _dry_run(client, bj, fill(_template(client, bj), rows))["upload_id"])
    worker.drain(only=lambda m: bool(m.get("plan")))
    taken = MemberModel.make_id_key(rows[2]["id_type"], rows[2]["id_number"])
    IdClaimModel(IdClaimModel.key_for(taken), owner="310000000999").save()
    worker.drain()
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and (body["done"], body["failed"]) == (5, 1), body
    assert [int(r[0]) for r in _csv(client, bj, job["job_id"])] == [2, 3, 5, 6]
    failures = _csv(client, bj, job["job_id"], "report")
    assert failures == [["4", import_rows.CLAIMED]]
    assert IdClaimModel.get(IdClaimModel.key_for(taken)).owner == "310000000999"
    assert len(_members("110000")) == 4


def _counting_checks(monkeypatch) -> list[int]:
    """Counts the full checks of a file (imports.plan) from now on."""
    real, checks = imports.plan, []

    def counted(*args, **kwargs):
        checks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "plan", counted)
    return checks


def test_the_import_reuses_the_checks_plan_and_still_catches_what_changed_since(client, aws, persona, worker,
                                                                                 make_member, monkeypatch,
                                                                                 caplog):
    """The job takes each row's plan from the check instead of checking the file again; a staff
    edit and a member entered between the check and the import are caught all the same."""
    bj = persona("association_staff", "110000")
    data, existing, _ = _file(client, bj, make_member)  # rows 2-8 new, 9 updates existing, 10-11 fail
    upload_id = _dry_run(client, bj, data)["upload_id"]
    new_rows = fake_rows(7)
    fresh = MemberModel.get(existing.member_no)
    fresh.profile = {**fresh.profile.as_dict(), "qq": "112233"}
    fresh.save()  # a staff edit after the check
    entered = client.http.post("/members", headers=bj.headers, body=json.dumps(new_rows[3]))  # row 5's person
    assert entered.status_code == 201, entered.body
    before = len(_members("110000"))
    checks = _counting_checks(monkeypatch)
    caplog.set_level("DEBUG")
    job = _start(client, bj, upload_id)
    worker.drain()
    assert checks == []  # the stored plan was used: the file was not checked again
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "done" and (body["total"], body["done"], body["failed"]) == (10, 10, 4), body
    failures = {int(r[0]): r[1] for r in _csv(client, bj, job["job_id"], "report")}
    assert sorted(failures) == [5, 9, 10, 11]
    assert failures[5] == import_rows.CLAIMED and failures[9] == import_rows.CONFLICT
    assert MemberModel.get(existing.member_no).profile["qq"] == "112233"
    members = _members("110000")
    assert len(members) == before + 6 and len({m.id_key for m in members}) == len(members)
    assert "reuses the check's plan" in caplog.text
    for person in new_rows:
        assert person["name"] not in caplog.text and person["id_number"] not in caplog.text


def test_a_file_replaced_after_its_check_is_checked_again(client, aws, persona, worker, make_member, monkeypatch):
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    upload_id = _dry_run(client, bj, data)["upload_id"]
    other = fake_rows(2, seed=21)
    aws.job_files.put_bytes(imports.upload_key("110000", upload_id), fill(_template(client, bj), other), XLSX)
    checks = _counting_checks(monkeypatch)
    job = _start(client, bj, upload_id)
    worker.drain()
    assert checks == [1]
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert (body["status"], body["total"], body["failed"]) == ("done", 2, 0), body
    assert [r[2] for r in _csv(client, bj, job["job_id"])] == [p["name"] for p in other]


def test_an_unreadable_stored_plan_means_a_full_check(client, aws, persona, worker, make_member, monkeypatch):
    bj = persona("association_staff", "110000")
    data, _, _ = _file(client, bj, make_member)
    upload_id = _dry_run(client, bj, data)["upload_id"]
    aws.job_files.put_bytes(imports.plan_key("110000", upload_id), b'{"format": 1, "upl', "application/json")
    checks = _counting_checks(monkeypatch)
    job = _start(client, bj, upload_id)
    worker.drain()
    assert checks == [1]
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert (body["status"], body["total"], body["done"], body["failed"]) == ("done", 10, 10, 2), body

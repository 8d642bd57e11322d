"""One member per ID number under concurrency: entry, approval, import and a change of ID number
each write the member and its ID-number claim in one transaction (or claim first), so of racing
writers with one ID number exactly one wins and the others get 409 DUPLICATE_ID_NUMBER.

The index query before the write is eventually consistent and runs before anyone writes, so the
races here hold every writer at a barrier right after that query: all of them have "seen no
holder" before the first one writes, which is the window the claim must close.
"""

from __future__ import annotations

import io
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from openpyxl import Workbook

from chalicelib.errors import Conflict
from chalicelib.members import imports, listing, service
from chalicelib.members.models import ApplicationModel, IdClaimModel, MemberModel
from chalicelib.principal import Principal
from devstack.fake import person

RACERS = 10
STAFF = Principal("bj_staff", "association_staff", "110000")


def _values(seed: int = 3) -> dict[str, str]:
    values = person(random.Random(seed), "110000")
    values.pop("association")
    return values


def _holders(values: dict[str, str]) -> list[MemberModel]:
    key = MemberModel.make_id_key(values["id_type"], values["id_number"])
    return [m for m in MemberModel.by_id_number.query(key)]


@pytest.fixture()
def all_see_no_holder(monkeypatch):
    """Every racer finishes the index pre-check (finding nobody) before any of them writes."""
    barrier = threading.Barrier(RACERS, timeout=30)
    real = listing.find_by_id_number

    def held_back(number: str, id_type: str) -> list[str]:
        found = real(number, id_type)
        barrier.wait()
        return found

    monkeypatch.setattr(listing, "find_by_id_number", held_back)


def test_ten_concurrent_entries_with_one_id_number_create_one_member(aws, all_see_no_holder):
    values = _values()

    def create(_: int) -> str:
        try:
            return service.create_member(STAFF, values)["member_no"]
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = list(pool.map(create, range(RACERS)))
    winners = [o for o in outcomes if o != "DUPLICATE_ID_NUMBER"]
    assert len(winners) == 1, outcomes
    assert outcomes.count("DUPLICATE_ID_NUMBER") == RACERS - 1
    assert [m.member_no for m in _holders(values)] == winners
    claim = IdClaimModel.get(IdClaimModel.key_for(MemberModel.make_id_key(values["id_type"], values["id_number"])))
    assert claim.owner == winners[0]


def test_over_http_the_loser_gets_a_clear_409(http, staff, monkeypatch):
    values = _values(4)
    assert http.post("/members", staff, values).status == 201
    monkeypatch.setattr(listing, "find_by_id_number", lambda number, id_type: [])  # the index lags
    r = http.post("/members", staff, values)
    assert r.status == 409 and r.body["code"] == "DUPLICATE_ID_NUMBER"
    assert r.body["message"] == "该证件号码已登记为会员,不能重复录入"
    assert r.body["errors"][0]["key"] == "id_number"
    assert len(_holders(values)) == 1


def test_changing_the_id_number_moves_the_claim(http, staff, monkeypatch):
    first, second = _values(5), _values(6)
    created = http.post("/members", staff, first)
    assert created.status == 201
    no = created.body["member_no"]
    change = {k: second[k] for k in ("id_type", "id_number", "birth_date", "gender")}
    r = http.patch(f"/members/{no}", staff, {"version": created.body["member"]["version"], "changes": change})
    assert r.status == 200, r.body
    monkeypatch.setattr(listing, "find_by_id_number", lambda number, id_type: [])
    # the new number is claimed: another entry with it loses even without the index check
    r = http.post("/members", staff, second)
    assert r.status == 409 and r.body["code"] == "DUPLICATE_ID_NUMBER"
    # the old number was released in the same transaction: it can be entered again
    assert http.post("/members", staff, first).status == 201


def test_approving_an_application_loses_to_an_entry_that_claimed_the_number(aws, monkeypatch):
    values = _values(7)
    app = ApplicationModel("app1", association="110000", status="pending", profile=values)
    app.save()
    service.create_member(STAFF, values)
    monkeypatch.setattr(listing, "find_by_id_number", lambda number, id_type: [])
    from chalicelib.members import applications

    with pytest.raises(Conflict) as caught:
        applications.approve(aws.settings, aws.mailer, STAFF, "app1")
    assert caught.value.code == "DUPLICATE_ID_NUMBER"
    assert ApplicationModel.get("app1").status == "pending" and len(_holders(values)) == 1


def test_an_import_row_loses_to_an_entry_between_check_and_import(aws):
    import json

    from chalicelib.jobs import repository
    from chalicelib.jobs import service as jobs
    from chalicelib.members import import_rows
    from tests.integration.jobs.conftest import Worker

    values = _values(8)
    wb = Workbook()
    labels = {"name": "姓名", "id_type": "证件类型", "id_number": "证件号码", "gender": "性别", "birth_date": "出生日期"}
    wb.active.append(list(labels.values()))
    wb.active.append([values[k] for k in labels])
    buf = io.BytesIO()
    wb.save(buf)
    checked = imports.run(STAFF, buf.getvalue(), "dry_run", aws.job_files)
    assert checked["create"] == 1
    job = jobs.start(aws, STAFF, {"kind": "import", "upload_id": checked["upload_id"]})
    worker = Worker(aws)
    worker.drain(only=lambda m: bool(m.get("plan")))  # the job's check: the row is to be created
    entered = service.create_member(STAFF, values)["member_no"]  # after the check, before the chunk
    worker.drain()
    done = repository.get(job["job_id"])
    assert done is not None and (done.status, int(done.failed)) == ("done", 1)
    report = aws.job_files.get_bytes(done.report_key).decode("utf-8-sig")
    assert import_rows.CLAIMED in report and json.dumps(values["name"], ensure_ascii=False)[1:-1] not in report
    assert [m.member_no for m in _holders(values)] == [entered]

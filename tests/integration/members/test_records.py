"""Record, entry (录入), change (基本信息修改) with optimistic locking, status changes, history."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from chalicelib.auth.models import AccountModel
from chalicelib.auth.passwords import verify_password
from chalicelib.errors import AppError
from chalicelib.members import service
from chalicelib.members.models import MemberModel
from chalicelib.members.schema import FIELDS
from chalicelib.principal import Principal

NEW = {
    "name": "测试录入", "gender": "男", "id_type": "居民身份证", "id_number": "11010519491231002X",
    "birth_date": "1949-12-31", "email": "new.member@example.com", "mobile": "13800138000",
}


def fix_gender(values):
    """11010519491231002X: the 17th digit (2) is even, so the holder is female."""
    return {**values, "gender": "女"}


def test_record_has_every_field_the_full_id_number_and_a_version(http, staff, make_member):
    m = make_member("110000", complete=False)
    r = http.get(f"/members/{m.member_no}", staff)
    assert r.status == 200
    body = r.body
    assert {f.key for f in FIELDS} <= set(body)
    assert body["id_number"] == m.profile["id_number"]
    assert body["version"] == 1 and body["status"] == "active" and body["complete"] is False
    assert {"key": "job_field", "label": "职务领域"} in body["missing"]
    for key in ("status_reason", "photo_status", "created_at", "updated_at", "association_name"):
        assert key in body
    assert "photo_key" not in body and "reference_key" not in body


def test_out_of_scope_and_unknown_records_are_404(http, staff, persona, make_member):
    other = make_member("310000")
    for path in (f"/members/{other.member_no}", "/members/110000999999", "/members/abc",
                 f"/members/{other.member_no}/history"):
        r = http.get(path, staff)
        assert r.status == 404 and r.body["code"] == "MEMBER_NOT_FOUND", path
    r = http.patch(f"/members/{other.member_no}", staff, {"version": 1, "changes": {"email": "a@b.cn"}})
    assert r.status == 404
    national = persona("national_staff", "100000")
    overseas, beijing = make_member("100000"), make_member("110000")
    assert http.get(f"/members/{overseas.member_no}", national).status == 200
    assert http.get(f"/members/{beijing.member_no}", national).status == 404


def test_entry_creates_member_and_account_with_a_one_time_password(http, staff):
    r = http.post("/members", staff, fix_gender(NEW))
    assert r.status == 201, r.body
    no = r.body["member_no"]
    assert no.startswith("110000") and len(no) == 12
    password = r.body["initial_password"]
    assert len(password) == 12
    assert r.body["member"]["version"] == 1 and r.body["member"]["complete"] is False
    account = AccountModel.get(f"member:{no}")
    assert account.must_change_password and verify_password(account.password_hash, password)
    member = MemberModel.get(no)
    assert member.association == "110000" and member.name == "测试录入"
    assert member.id_key == "居民身份证#11010519491231002X"
    history = http.get(f"/members/{no}/history", staff).body["items"]
    assert history[0]["action"] == "create"
    id_change = next(c for c in history[0]["changes"] if c["field"] == "id_number")
    assert id_change["new"] == "110***********002X"  # masked in the log
    # the password is not kept anywhere readable
    assert password not in str(history) and password not in str(http.get(f"/members/{no}", staff).body)


def test_entry_validates_and_refuses_duplicates(http, staff, make_member):
    r = http.post("/members", staff, {**NEW, "email": "not-an-email"})
    assert r.status == 422 and r.body["code"] == "VALIDATION_FAILED"
    keys = {e["key"] for e in r.body["errors"]}
    assert keys == {"email", "gender"}  # gender disagrees with the ID number
    assert all(e["label"] and e["message"] for e in r.body["errors"])
    r = http.post("/members", staff, {"gender": "男"})
    assert {e["key"] for e in r.body["errors"]} == {"name", "id_type", "id_number"}
    existing = make_member("310000")
    r = http.post("/members", staff, {**NEW, "id_number": existing.profile["id_number"],
                                      "gender": existing.profile["gender"],
                                      "birth_date": existing.profile["birth_date"]})
    assert r.status == 409 and r.body["code"] == "DUPLICATE_ID_NUMBER"
    r = http.post("/members", staff, {**fix_gender(NEW), "association": "310000"})
    assert r.status == 403 and r.body["code"] == "FIELD_NOT_EDITABLE"
    r = http.post("/members", staff, {**fix_gender(NEW), "favourite_colour": "blue"})
    assert r.status == 400 and r.body["code"] == "UNKNOWN_FIELDS"


def test_patch_with_current_version_succeeds_and_a_stale_one_is_refused(http, staff, make_member):
    m = make_member("110000")
    path = f"/members/{m.member_no}"
    first = http.patch(path, staff, {"version": 1, "changes": {"employer": "新单位"}})
    assert first.status == 200 and first.body["version"] == 2 and first.body["employer"] == "新单位"
    stale = http.patch(path, staff, {"version": 1, "changes": {"employer": "另一个单位"}})
    assert stale.status == 409
    assert stale.body == {"code": "VERSION_CONFLICT", "message": "该会员信息已被他人修改,请刷新后重新修改",
                          "current_version": 2}
    assert MemberModel.get(m.member_no).profile["employer"] == "新单位"
    # fields at the top level are accepted too
    top = http.patch(path, staff, {"version": 2, "employer": "第三个单位"})
    assert top.status == 200 and top.body["version"] == 3


def test_history_shows_old_and_new_values(http, staff, make_member):
    m = make_member("110000")
    old_mobile = m.profile["mobile"]
    http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"mobile": "13912345678"}})
    items = http.get(f"/members/{m.member_no}/history", staff).body["items"]
    assert items[0]["changes"] == [{"field": "mobile", "label": "移动电话", "old": old_mobile, "new": "13912345678"}]
    assert items[0]["actor"] and items[0]["actor_role"] == "association_staff" and items[0]["at"]


def test_id_number_changes_are_masked_in_the_log(http, staff, make_member):
    m = make_member("110000", id_type="护照", id_number="E1234567", gender="男", birth_date="1980-01-01")
    r = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"id_number": "E7654321"}})
    assert r.status == 200, r.body
    change = http.get(f"/members/{m.member_no}/history", staff).body["items"][0]["changes"][0]
    assert change == {"field": "id_number", "label": "证件号码", "old": "E12*4567", "new": "E76*4321"}
    from chalicelib.members.models import AuditModel
    stored = str([e.changes for e in AuditModel.query(m.member_no)])
    assert "E1234567" not in stored and "E7654321" not in stored
    assert MemberModel.get(m.member_no).id_key == "护照#E7654321"


def test_four_racing_writers_with_one_version_exactly_one_wins(aws, make_member):
    m = make_member("110000")
    staff = Principal("bj_staff", "association_staff", "110000")
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def writer(i: int) -> None:
        barrier.wait()
        try:
            service.update_member(staff, m.member_no, {"version": 1, "changes": {"employer": f"单位{i}"}})
            outcomes.append(200)
        except AppError as err:
            outcomes.append((err.status, err.code))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(outcomes) == Counter({200: 1, (409, "VERSION_CONFLICT"): 3})
    final = MemberModel.get(m.member_no)
    assert final.version == 2
    from chalicelib.members.models import AuditModel
    assert len([e for e in AuditModel.query(m.member_no) if e.action == "update"]) == 1


def test_the_save_condition_catches_a_writer_that_got_in_after_the_version_check(aws, make_member):
    m = make_member("110000")
    staff = Principal("bj_staff", "association_staff", "110000")
    loaded = MemberModel.get(m.member_no)  # editor A has read version 1 and passed the check
    service.update_member(staff, m.member_no, {"version": 1, "changes": {"employer": "乙"}})  # B saves
    with pytest.raises(AppError) as err:
        service.apply_changes(staff, loaded, 1, {"employer": "甲"})
    assert err.value.code == "VERSION_CONFLICT" and err.value.extra == {"current_version": 2}
    assert MemberModel.get(m.member_no).profile["employer"] == "乙"


def test_validation_errors_name_the_field(http, staff, make_member):
    m = make_member("110000")
    r = http.patch(f"/members/{m.member_no}", staff,
                   {"version": 1, "changes": {"email": "bad", "postal_code": "12", "job_field": "宇航员"}})
    assert r.status == 422 and r.body["code"] == "VALIDATION_FAILED"
    by_key = {e["key"]: e for e in r.body["errors"]}
    assert set(by_key) == {"email", "postal_code", "job_field"}
    assert by_key["email"]["label"] == "电子邮箱" and "电子邮箱" in by_key["email"]["message"]
    assert MemberModel.get(m.member_no).version == 1
    r = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"name": ""}})
    assert r.status == 422 and r.body["errors"][0]["key"] == "name"


def test_version_is_required_and_unknown_fields_are_refused(http, staff, make_member):
    m = make_member("110000")
    r = http.patch(f"/members/{m.member_no}", staff, {"changes": {"email": "a@b.cn"}})
    assert r.status == 400 and r.body["code"] == "VERSION_REQUIRED"
    r = http.patch(f"/members/{m.member_no}", staff, {"version": "1", "changes": {"email": "a@b.cn"}})
    assert r.body["code"] == "VERSION_REQUIRED"
    r = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"photo_key": "x"}})
    assert r.status == 400 and r.body["code"] == "UNKNOWN_FIELDS" and r.body["fields"] == ["photo_key"]
    r = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"email": ["a@b.cn"]}})
    assert r.status == 422


def test_status_changes_need_a_reason_and_are_audited(http, staff, make_member):
    m = make_member("110000")
    path = f"/members/{m.member_no}"
    r = http.patch(path, staff, {"version": 1, "status": "suspended"})
    assert r.status == 422 and r.body["errors"][0]["key"] == "status_reason"
    r = http.patch(path, staff, {"version": 1, "status": "suspended", "status_reason": "  "})
    assert r.status == 422
    r = http.patch(path, staff, {"version": 1, "status": "frozen", "status_reason": "x"})
    assert r.status == 422
    r = http.patch(path, staff, {"version": 1, "status": "suspended", "status_reason": "未按时缴纳会费"})
    assert r.status == 200 and r.body["status"] == "suspended" and r.body["status_reason"] == "未按时缴纳会费"
    assert r.body["status_changed_at"]
    entry = http.get(f"{path}/history", staff).body["items"][0]
    assert entry["action"] == "status" and entry["detail"] == {"reason": "未按时缴纳会费"}
    assert entry["changes"] == [{"field": "status", "label": "会籍状态", "old": "正常", "new": "暂停"}]
    listed = http.get("/members", staff, status="suspended").body["items"]
    assert [x["member_no"] for x in listed] == [m.member_no]
    r = http.patch(path, staff, {"version": 2, "status": "active"})
    assert r.status == 422  # reinstating needs a reason too
    r = http.patch(path, staff, {"version": 2, "status": "active", "status_reason": "已补缴"})
    assert r.status == 200 and r.body["status"] == "active"


def test_staff_cannot_move_a_member_to_another_association(http, staff, make_member):
    m = make_member("110000")
    r = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"association": "310000"}})
    assert r.status == 403 and r.body["code"] == "FIELD_NOT_EDITABLE" and r.body["fields"] == ["association"]
    same = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"association": "110000"}})
    assert same.status == 200 and same.body["version"] == 1  # nothing changed, nothing written
    r = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {"member_no": "110000999999"}})
    assert r.status == 403 and r.body["fields"] == ["member_no"]


def test_changing_to_an_id_number_someone_else_holds_is_refused(http, staff, make_member):
    a, b = make_member("110000"), make_member("110000")
    r = http.patch(f"/members/{a.member_no}", staff, {"version": 1, "changes": {
        "id_number": b.profile["id_number"], "birth_date": b.profile["birth_date"], "gender": b.profile["gender"]}})
    assert r.status == 409 and r.body["code"] == "DUPLICATE_ID_NUMBER"


def test_completeness_is_kept_in_step(http, staff, make_member):
    m = make_member("110000", complete=False)
    r = http.patch(f"/members/{m.member_no}", staff, {"version": 1, "changes": {
        "employer_nature": "国有企业", "job_field": "税务", "job_level": "一般员工", "education": "大学本科"}})
    assert r.status == 200 and r.body["complete"] is True and r.body["missing"] == []
    assert MemberModel.get(m.member_no).complete is True
    assert [x["member_no"] for x in http.get("/members", staff, complete="true").body["items"]] == [m.member_no]


def test_staff_issue_an_initial_password(http, staff, make_member, persona):
    m = make_member("110000")
    r = http.post(f"/members/{m.member_no}/initial-password", staff)
    assert r.status == 200 and r.body["member_no"] == m.member_no
    account = AccountModel.get(f"member:{m.member_no}")
    assert verify_password(account.password_hash, r.body["initial_password"])
    assert account.must_change_password and account.tokens_valid_after > 0
    assert http.get("/members/" + m.member_no + "/history", staff).body["items"][0]["action"] == "password"
    assert http.post(f"/members/{make_member('310000').member_no}/initial-password", staff).status == 404


def test_members_cannot_use_staff_routes(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    assert http.get(f"/members/{m.member_no}", me).status == 403
    assert http.patch(f"/members/{m.member_no}", me, {"version": 1, "changes": {"name": "x"}}).status == 403
    assert http.post("/members", me, NEW).status == 403

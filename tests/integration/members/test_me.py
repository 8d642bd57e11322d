"""Member self-service: GET /me and PATCH /me (保存并提交信息) with the schema's edit rights."""

from __future__ import annotations

from chalicelib.members.models import MemberModel
from chalicelib.members.schema import MEMBER_EDITABLE_KEYS


def test_me_shows_record_completeness_photo_and_edit_rights(http, persona, make_member):
    m = make_member("110000", complete=False)
    me = persona("member", member_no=m.member_no)
    r = http.get("/me", me)
    assert r.status == 200
    body = r.body
    assert body["member"]["member_no"] == m.member_no
    assert body["member"]["id_number"] == m.profile["id_number"]  # their own, in full
    assert body["completeness"]["complete"] is False
    assert body["completeness"]["missing"] == [
        {"key": "employer_nature", "label": "单位性质"}, {"key": "job_field", "label": "职务领域"},
        {"key": "job_level", "label": "职务层级"}, {"key": "education", "label": "学历"}]
    assert body["photo"] == {"status": "none", "has_photo": False, "has_reference": False,
                             "failed_attempts": 0, "attempts_left": 5, "consent": False}
    assert set(body["editable_fields"]) == MEMBER_EDITABLE_KEYS
    assert "name" not in body["editable_fields"] and "email" in body["editable_fields"]
    assert body["status"] == "active"


def test_member_may_not_change_the_name(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    r = http.patch("/me", me, {"version": 1, "changes": {"name": "改个名字", "id_number": "110101199001011237"}})
    assert r.status == 403 and r.body["code"] == "FIELD_NOT_EDITABLE"
    assert r.body["fields"] == ["name", "id_number"]
    assert "姓名" in r.body["message"] and "证件号码" in r.body["message"]
    assert "请联系所属注协修改" in r.body["message"]
    assert MemberModel.get(m.member_no).name == m.name


def test_member_may_change_the_email(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    r = http.patch("/me", me, {"version": 1, "changes": {"email": "mine@example.org"}})
    assert r.status == 200, r.body
    assert r.body["member"]["email"] == "mine@example.org" and r.body["member"]["version"] == 2
    entry = http.get(f"/members/{m.member_no}/history", persona("association_staff", "110000")).body["items"][0]
    assert entry["actor"] == m.member_no and entry["actor_role"] == "member"


def test_an_invalid_email_is_a_field_error(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    r = http.patch("/me", me, {"version": 1, "changes": {"email": "mine-at-example"}})
    assert r.status == 422 and r.body["code"] == "VALIDATION_FAILED"
    assert r.body["errors"] == [{"key": "email", "label": "电子邮箱", "message": "电子邮箱格式不正确"}]


def test_the_whole_form_may_be_sent_back_unchanged_fields_are_fine(http, persona, make_member):
    m = make_member("110000", complete=False)
    me = persona("member", member_no=m.member_no)
    form = http.get("/me", me).body["member"]
    changes = {k: form[k] for k in ("name", "id_number", "gender", "birth_date", "email")}
    changes.update(employer_nature="国有企业", job_field="税务", job_level="一般员工", education="大学本科")
    r = http.patch("/me", me, {"version": form["version"], "changes": changes})
    assert r.status == 200, r.body
    assert r.body["completeness"] == {"complete": True, "missing": []}
    assert MemberModel.get(m.member_no).complete is True


def test_members_cannot_clear_required_fields_or_change_status(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    r = http.patch("/me", me, {"version": 1, "changes": {"mobile": ""}})
    assert r.status == 422 and r.body["errors"][0]["key"] == "mobile"
    r = http.patch("/me", me, {"version": 1, "status": "cancelled", "status_reason": "不想当了"})
    assert r.status == 403 and r.body["code"] == "FIELD_NOT_EDITABLE"
    r = http.patch("/me", me, {"version": 1, "changes": {"qq": ""}})  # optional: may be cleared
    assert r.status == 200


def test_a_stale_version_on_me_is_refused(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    assert http.patch("/me", me, {"version": 1, "changes": {"qq": "123456"}}).status == 200
    r = http.patch("/me", me, {"version": 1, "changes": {"qq": "654321"}})
    assert r.status == 409 and r.body["code"] == "VERSION_CONFLICT" and r.body["current_version"] == 2


def test_me_is_for_members_only(http, persona, staff):
    assert http.get("/me", staff).status == 403
    assert http.patch("/me", staff, {"version": 1, "changes": {}}).status == 403
    assert http.get("/me").status == 401


def test_me_is_refused_until_the_initial_password_is_changed(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no, must_change_password=True)
    assert http.get("/me", me).body["code"] == "PASSWORD_CHANGE_REQUIRED"
    r = http.patch("/me", me, {"version": 1, "changes": {"qq": "123456"}})
    assert r.status == 403 and r.body["code"] == "PASSWORD_CHANGE_REQUIRED"

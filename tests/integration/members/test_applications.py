"""Applications (申请审核): public submission with a captcha, staff review, approval with a
one-time initial password, rejection with a reason, and the applicant's e-mail."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from chalicelib.auth import captcha
from chalicelib.auth.models import AccountModel
from chalicelib.auth.passwords import verify_password
from chalicelib.errors import AppError
from chalicelib.members import applications
from chalicelib.members.models import ApplicationModel, AuditModel, MemberModel
from chalicelib.principal import Principal

FORM = {
    "name": "申请示例", "gender": "女", "id_type": "居民身份证", "id_number": "11010519491231002X",
    "birth_date": "1949-12-31", "email": "applicant@example.com", "mobile": "13800138000",
    "association": "110000", "education": "大学本科",
}


def apply(http, form=FORM, **extra):
    captcha_id, answer, _ = captcha.create(_settings())
    return http.post("/public/applications", None, {**form, "captcha_id": captcha_id, "captcha_code": answer, **extra})


def test_submission_creates_a_pending_application(http):
    r = apply(http)
    assert r.status == 201, r.body
    assert r.body["status"] == "pending" and r.body["app_id"]
    app = ApplicationModel.get(r.body["app_id"])
    assert app.association == "110000" and app.status == "pending"
    assert app.profile.as_dict()["id_number"] == "11010519491231002X"


def test_submission_needs_a_valid_captcha(http):
    r = http.post("/public/applications", None, {**FORM, "captcha_id": "nope", "captcha_code": "ABCD"})
    assert r.status == 400 and r.body["code"] == "CAPTCHA_INVALID"
    captcha_id, answer, _ = captcha.create(_settings())
    wrong = "AAAA" if answer != "AAAA" else "BBBB"
    r = http.post("/public/applications", None, {**FORM, "captcha_id": captcha_id, "captcha_code": wrong})
    assert r.body["code"] == "CAPTCHA_INVALID"
    assert list(ApplicationModel.scan()) == []


def test_submission_is_validated(http):
    r = apply(http, {"name": "只有名字", "email": "bad"})
    assert r.status == 422
    keys = {e["key"] for e in r.body["errors"]}
    assert {"email", "id_type", "id_number", "mobile", "association"} <= keys
    r = apply(http, {**FORM, "association": "999999"})
    assert r.status == 422 and r.body["errors"][0]["key"] == "association"
    r = apply(http, {**FORM, "photo_key": "x"})
    assert r.status == 400 and r.body["code"] == "UNKNOWN_FIELDS"


def test_the_answer_does_not_say_whether_an_id_number_exists(http, make_member, staff):
    """Not an ID-number oracle: an existing member's ID number, a repeated application and a new
    one are all accepted alike; staff see the duplicates when they review."""
    m = make_member("110000")
    existing = {**FORM, "id_number": m.profile["id_number"], "gender": m.profile["gender"],
                "birth_date": m.profile["birth_date"]}
    answers = [apply(http, existing), apply(http), apply(http)]
    assert [r.status for r in answers] == [201, 201, 201]
    shapes = [{k: v for k, v in r.body.items() if k != "app_id"} for r in answers]
    assert shapes[0] == shapes[1] == shapes[2]
    ids = [r.body["app_id"] for r in answers]
    first = http.get(f"/applications/{ids[0]}", staff).body
    assert first["duplicate"] is True and first["duplicate_applications"] == 0
    second = http.get(f"/applications/{ids[1]}", staff).body
    assert second["duplicate"] is False and second["duplicate_applications"] == 1


def test_submissions_are_limited_per_client_address(http):
    for _ in range(applications.APPLY_PER_CLIENT_PER_HOUR):
        assert apply(http).status == 201
    r = apply(http)
    assert r.status == 429 and r.body["code"] == "APPLY_RATE_LIMITED"
    assert 0 < int(r.headers["Retry-After"]) <= 3600 and "秒后再试" in r.body["message"]


def test_staff_list_their_applications_newest_first(http, staff, persona):
    ids = []
    for i, number in enumerate(("11010519491231002X", "110105198001010016", "110105198001010032")):
        gender = "女" if i == 0 else "男"
        birth = "1949-12-31" if i == 0 else "1980-01-01"
        ids.append(apply(http, {**FORM, "id_number": number, "gender": gender, "birth_date": birth}).body["app_id"])
    apply(http, {**FORM, "association": "310000", "id_number": "110105198001010059", "gender": "男",
                 "birth_date": "1980-01-01"})
    r = http.get("/applications", staff)
    assert r.status == 200
    assert [x["app_id"] for x in r.body["items"]] == ids[::-1]
    row = r.body["items"][0]
    assert "*" in row["id_number"] and row["status"] == "pending"
    page1 = http.get("/applications", staff, limit=2).body
    page2 = http.get("/applications", staff, limit=2, cursor=page1["next_cursor"]).body
    assert [x["app_id"] for x in page1["items"] + page2["items"]] == ids[::-1] and page2["next_cursor"] is None
    assert http.get("/applications", staff, status="approved").body["items"] == []
    assert http.get("/applications", staff, status="weird").status == 400
    sh = persona("association_staff", "310000")
    assert len(http.get("/applications", sh).body["items"]) == 1


def test_staff_open_an_application_in_full_and_others_get_404(http, staff, persona):
    app_id = apply(http).body["app_id"]
    r = http.get(f"/applications/{app_id}", staff)
    assert r.status == 200
    assert r.body["fields"]["id_number"] == "11010519491231002X" and r.body["duplicate"] is False
    assert {"key": "qualification_method", "label": "资格取得方式"} in r.body["missing"]
    sh = persona("association_staff", "310000")
    for method, path in (("GET", f"/applications/{app_id}"), ("POST", f"/applications/{app_id}/approve"),
                         ("POST", f"/applications/{app_id}/reject")):
        r = http.send(method, path, sh, {"reason": "x"})
        assert r.status == 404 and r.body["code"] == "APPLICATION_NOT_FOUND", path
    assert http.get("/applications/does-not-exist", staff).status == 404
    assert http.get("/applications/..%2F..", staff).status == 404


def test_approval_creates_member_and_account_and_mails_without_the_password(http, staff, sent_mail):
    app_id = apply(http).body["app_id"]
    r = http.post(f"/applications/{app_id}/approve", staff)
    assert r.status == 200, r.body
    no, password = r.body["member_no"], r.body["initial_password"]
    assert no.startswith("110000") and r.body["mail_sent"] is True
    member = MemberModel.get(no)
    assert member.name == "申请示例" and member.association == "110000" and member.version == 1
    assert member.id_key == "居民身份证#11010519491231002X"
    account = AccountModel.get(f"member:{no}")
    assert verify_password(account.password_hash, password) and account.must_change_password
    app = ApplicationModel.get(app_id)
    assert app.status == "approved" and app.member_no == no and app.decided_by
    assert [e.action for e in AuditModel.query(no)] == ["create"]
    mails = sent_mail()
    assert len(mails) == 1
    to, subject, body = mails[0]
    assert to == ["applicant@example.com"] and "已通过" in subject
    assert no in body and password not in body and "忘记密码" in body
    again = http.post(f"/applications/{app_id}/approve", staff)
    assert again.status == 409 and again.body["code"] == "APPLICATION_DECIDED"
    assert len(list(MemberModel.scan(MemberModel.association.exists()))) == 1


def test_two_staff_approving_at_once_create_one_member(aws, staff):
    from chalicelib.db import utcnow_iso

    app = ApplicationModel("race-1", association="110000", status="pending", created_at=utcnow_iso(),
                           profile={k: v for k, v in FORM.items() if k != "association"})
    app.save()
    barrier = threading.Barrier(3)
    outcomes = []
    principal = Principal("bj_staff", "association_staff", "110000")

    def approve():
        barrier.wait()
        try:
            applications.approve(_settings(), _mailer(), principal, "race-1")
            outcomes.append(200)
        except AppError as err:
            outcomes.append(err.code)

    threads = [threading.Thread(target=approve) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert Counter(outcomes) == Counter({200: 1, "APPLICATION_DECIDED": 2})
    assert len(list(MemberModel.scan(MemberModel.association.exists()))) == 1


def test_approval_is_refused_if_the_id_became_a_member_meanwhile(http, staff):
    app_id = apply(http).body["app_id"]
    entered = http.post("/members", staff, {k: v for k, v in FORM.items() if k != "association"})
    assert entered.status == 201
    r = http.post(f"/applications/{app_id}/approve", staff)
    assert r.status == 409 and r.body["code"] == "DUPLICATE_ID_NUMBER"
    assert ApplicationModel.get(app_id).status == "pending"
    assert http.get(f"/applications/{app_id}", staff).body["duplicate"] is True


def test_rejection_needs_a_reason_and_mails_it(http, staff, sent_mail):
    app_id = apply(http).body["app_id"]
    r = http.post(f"/applications/{app_id}/reject", staff, {})
    assert r.status == 422 and r.body["errors"][0]["key"] == "reason"
    r = http.post(f"/applications/{app_id}/reject", staff, {"reason": "   "})
    assert r.status == 422
    r = http.post(f"/applications/{app_id}/reject", staff, {"reason": "资格证明材料不全"})
    assert r.status == 200 and r.body == {"app_id": app_id, "status": "rejected", "mail_sent": True}
    app = ApplicationModel.get(app_id)
    assert app.status == "rejected" and app.reason == "资格证明材料不全"
    (to, subject, body), = sent_mail()
    assert to == ["applicant@example.com"] and "未通过" in subject and "资格证明材料不全" in body
    assert http.post(f"/applications/{app_id}/approve", staff).body["code"] == "APPLICATION_DECIDED"
    assert http.post(f"/applications/{app_id}/reject", staff, {"reason": "x"}).status == 409
    assert list(MemberModel.scan(MemberModel.association.exists())) == []


def test_a_mail_failure_does_not_undo_the_decision(http, staff, aws, monkeypatch):
    from chalicelib.errors import ServiceUnavailable

    def broken(*a, **k):
        raise ServiceUnavailable("邮件发送失败,请稍后再试", code="MAIL_UNAVAILABLE")

    monkeypatch.setattr(type(aws.mailer), "send", broken)
    app_id = apply(http).body["app_id"]
    r = http.post(f"/applications/{app_id}/approve", staff)
    assert r.status == 200 and r.body["mail_sent"] is False
    assert ApplicationModel.get(app_id).status == "approved"


@pytest.mark.parametrize("path", ["/applications", "/applications/x"])
def test_members_cannot_review(http, persona, make_member, path):
    m = make_member("110000")
    assert http.get(path, persona("member", member_no=m.member_no)).status == 403


def _settings():  # the settings the app under test was wired with
    from chalicelib.bootstrap import deps

    return deps().settings


def _mailer():
    from chalicelib.bootstrap import deps

    return deps().mailer

"""Password recovery: a one-time code by e-mail, the same answer for every name, old tokens die."""

from __future__ import annotations

import re

import pytest
from moto.backends import get_backend

from chalicelib.auth import service
from chalicelib.auth.models import AccountModel, EphemeralModel


def sent_mail() -> list:
    return [m for account in get_backend("ses").values() for backend in account.values()
            for m in backend.sent_messages]


def _code(message) -> str:
    match = re.search(r"验证码[::]\s*(\d{6})", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture()
def forgot(post, solved):
    def _forgot(user_type: str, username: str):
        return post("/auth/password/forgot", {"user_type": user_type, "username": username, **solved()})
    return _forgot


@pytest.fixture()
def reset(post):
    def _reset(user_type: str, username: str, code: str, new_password: str = "a brand new secret"):
        return post("/auth/password/reset", {"user_type": user_type, "username": username, "code": code,
                                             "new_password": new_password})
    return _reset


def test_member_recovers_the_password_by_mail(client, make_member, forgot, reset, login, aws):
    m = make_member("110000", email="member.one@example.com")
    old = login("member", m.member_no).json_body["token"]

    r = forgot("member", m.member_no)
    assert r.status_code == 200 and r.json_body == service.FORGOT_ANSWER
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["member.one@example.com"]
    assert mail.source == aws.settings.mail_sender
    assert "找回密码" in mail.subject and m.member_no in mail.body and "15分钟" in mail.body
    code = _code(mail)
    assert code in mail.subject
    # Only a keyed hash of the code is stored.
    stored = EphemeralModel.get(f"reset#member:{m.member_no}")
    assert code not in str(stored.data.as_dict())

    r = reset("member", m.member_no, code, "12345678")
    assert r.status_code == 422 and r.json_body["code"] == "WEAK_PASSWORD"  # the code is not used up
    r = reset("member", m.member_no, code)
    assert r.status_code == 200 and r.json_body["ok"] is True

    r = client.http.get("/auth/session", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code in (401, 403)  # the reset signed out every existing session
    assert login("member", m.member_no, "Demo#2026").status_code == 401
    assert login("member", m.member_no, "a brand new secret").status_code == 200
    # Single use.
    assert reset("member", m.member_no, code, "yet another secret").json_body["code"] == "RESET_CODE_INVALID"


def test_staff_code_goes_to_the_staff_address(client, staff_account, forgot, reset):
    staff_account("sh_staff", association="310000", email="sh.staff@example.com",
                  must_change_password=True)
    assert forgot("staff", "SH_staff").status_code == 200
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["sh.staff@example.com"]
    assert reset("staff", "sh_staff", _code(mail)).status_code == 200
    account = AccountModel.get("staff:sh_staff")
    assert account.must_change_password is False  # the reset chose a password only they know


def test_answer_is_identical_whether_or_not_the_account_exists(client, make_member, staff_account, forgot):
    m = make_member("110000")
    no_mail = make_member("110000", email="")
    staff_account("disabled_staff", disabled=True)
    answers = {}
    for label, args in {"member": ("member", m.member_no), "unknown member": ("member", "110000999999"),
                        "no address": ("member", no_mail.member_no), "disabled": ("staff", "disabled_staff"),
                        "unknown staff": ("staff", "ghost")}.items():
        r = forgot(*args)
        answers[label] = (r.status_code, r.body, tuple(sorted(r.headers.items())))
    assert len(set(answers.values())) == 1, answers
    assert len(sent_mail()) == 1  # only the real member with an address got a mail


def test_mail_failure_does_not_reveal_the_account(client, make_member, forgot, aws, monkeypatch):
    from chalicelib.errors import ServiceUnavailable

    m = make_member("110000")

    def broken(*a, **k):
        raise ServiceUnavailable("邮件发送失败,请稍后再试", code="MAIL_UNAVAILABLE")

    monkeypatch.setattr(aws.mailer, "send", broken)
    r = forgot("member", m.member_no)
    assert r.status_code == 200 and r.json_body == service.FORGOT_ANSWER


def test_wrong_codes_are_limited(client, make_member, forgot, reset):
    m = make_member("110000")
    forgot("member", m.member_no)
    code = _code(sent_mail()[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(service.RESET_CODE_MAX_TRIES):
        r = reset("member", m.member_no, wrong)
        assert r.status_code == 400 and r.json_body["code"] == "RESET_CODE_INVALID"
    # After the last allowed try the code is gone, even the right one.
    assert reset("member", m.member_no, code).json_body["code"] == "RESET_CODE_INVALID"


def test_reset_for_unknown_account_is_the_same_invalid_code(client, reset):
    r = reset("member", "110000999999", "123456")
    assert r.status_code == 400 and r.json_body["code"] == "RESET_CODE_INVALID"


def test_mail_per_account_is_limited_silently(client, make_member, forgot):
    m = make_member("110000")
    for _ in range(service.FORGOT_PER_ACCOUNT_PER_HOUR + 2):
        assert forgot("member", m.member_no).json_body == service.FORGOT_ANSWER
    assert len(sent_mail()) == service.FORGOT_PER_ACCOUNT_PER_HOUR


def test_forgot_needs_a_captcha_and_is_rate_limited_per_client(client, post, forgot, monkeypatch):
    r = post("/auth/password/forgot", {"user_type": "member", "username": "110000000001",
                                       "captcha_id": "x", "captcha_code": "y"})
    assert r.status_code == 400 and r.json_body["code"] == "CAPTCHA_INVALID"
    monkeypatch.setattr(service, "FORGOT_PER_CLIENT_PER_HOUR", 2)
    assert forgot("member", "110000999991").status_code == 200
    assert forgot("member", "110000999992").status_code == 200
    r = forgot("member", "110000999993")
    assert r.status_code == 429 and 3500 <= r.json_body["retry_after"] <= 3600


def test_successful_reset_clears_the_sign_in_delay(client, make_member, forgot, reset, login):
    from chalicelib.auth import throttle

    m = make_member("110000")
    for _ in range(throttle.ACCOUNT.free + 2):
        throttle.record_failure(throttle.ACCOUNT, f"member:{m.member_no}")
    assert login("member", m.member_no).status_code == 429
    forgot("member", m.member_no)
    assert reset("member", m.member_no, _code(sent_mail()[0])).status_code == 200
    assert login("member", m.member_no, "a brand new secret").status_code == 200

"""Sign-in: members and staff, one answer for every failure, captcha first, growing delays."""

from __future__ import annotations

import json
import time

import chalice.local
import pytest
from argon2 import PasswordHasher

from chalicelib.auth import passwords, throttle, tokens
from chalicelib.auth.models import AccountModel, EphemeralModel

LOGIN_FAILED = {"code": "LOGIN_FAILED", "message": "用户名或密码错误"}


def test_member_signs_in_with_member_number(client, make_member, login, aws):
    m = make_member("110000")
    r = login("member", m.member_no)
    assert r.status_code == 200, r.json_body
    body = r.json_body
    assert set(body) == {"token", "expires_in", "user"}
    assert body["expires_in"] == aws.settings.token_ttl_seconds
    assert body["user"] == {
        "username": m.member_no, "role": "member", "association": "110000",
        "association_name": "北京注册会计师协会", "member_no": m.member_no, "display_name": m.name,
        "must_change_password": False,
    }
    claims = tokens.decode(aws.settings.token_key, body["token"])
    assert claims.sub == f"member:{m.member_no}" and claims.role == "member"
    assert claims.member_no == m.member_no and claims.association == "110000"
    assert claims.exp - claims.iat == aws.settings.token_ttl_seconds


def test_staff_signs_in_case_insensitively(client, staff_account, login, post):
    staff_account("national_staff", "national_staff", "100000", display_name="中注协演示员")
    r = login("staff", "National_Staff")
    assert r.status_code == 200, r.json_body
    user = r.json_body["user"]
    assert user["role"] == "national_staff" and user["association"] == "100000"
    assert user["member_no"] == "" and user["display_name"] == "中注协演示员"
    s = client.http.get("/auth/session", headers={"Authorization": f"Bearer {r.json_body['token']}"})
    assert s.status_code == 200 and s.json_body["user"] == user


def test_staff_cannot_sign_in_as_member_type(client, staff_account, login):
    staff_account()
    r = login("member", "bj_staff")
    assert r.status_code == 401 and r.json_body == LOGIN_FAILED


def test_unknown_user_wrong_password_and_disabled_account_answer_alike(client, make_member, login,
                                                                       staff_account, monkeypatch):
    m = make_member("110000")
    staff_account("sh_staff", association="310000", disabled=True)
    real = passwords._HASHER
    verified: list[str] = []

    class Counting:  # wall-clock timing is too noisy on a shared machine: count argon2 runs instead
        def verify(self, hash_: str, password: str) -> bool:
            verified.append(hash_)
            return real.verify(hash_, password)

        def __getattr__(self, name: str):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_HASHER", Counting())
    answers = []
    for user_type, username, password in (("member", m.member_no, "wrong-password"),
                                          ("member", "110000999999", "wrong-password"),
                                          ("staff", "sh_staff", "Demo#2026"),
                                          ("staff", "ghost", "Demo#2026")):
        before = len(verified)
        r = login(user_type, username, password)
        answers.append((r.status_code, r.body, tuple(sorted(r.headers.items()))))
        # Exactly one full argon2id verification on every path (a dummy hash for unknown users),
        # with the same parameters, so the work and the timing are alike.
        assert len(verified) == before + 1
        assert verified[-1].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert len(set(answers)) == 1  # byte-identical answers and headers
    assert answers[0][0] == 401 and json.loads(answers[0][1]) == LOGIN_FAILED


def test_wrong_captcha_is_refused_before_any_password_work(client, make_member, post, solved, monkeypatch):
    m = make_member("110000")
    calls = []
    monkeypatch.setattr(passwords, "verify_password", lambda *a: calls.append(a) or True)
    c = solved()
    r = post("/auth/login", {"user_type": "member", "username": m.member_no, "password": "Demo#2026",
                             "captcha_id": c["captcha_id"], "captcha_code": "ZZZZ9"})
    assert r.status_code == 400 and r.json_body["code"] == "CAPTCHA_INVALID"
    r = post("/auth/login", {"user_type": "member", "username": m.member_no, "password": "Demo#2026"})
    assert r.status_code == 400 and r.json_body["code"] == "CAPTCHA_INVALID"
    assert calls == []
    # The captcha was used up by the wrong answer.
    r = post("/auth/login", {"user_type": "member", "username": m.member_no, "password": "Demo#2026", **c})
    assert r.status_code == 400 and r.json_body["code"] == "CAPTCHA_INVALID"


def test_malformed_login_requests_are_clear_400s(client, post):
    for body, code in (
        ({"user_type": "admin", "username": "x", "password": "y"}, "INVALID_USER_TYPE"),
        ({"username": "x", "password": "y"}, "INVALID_USER_TYPE"),
        ({"user_type": "member", "username": "", "password": "y"}, "MISSING_FIELD"),
        ({"user_type": "member", "username": "x"}, "MISSING_FIELD"),
        ({"user_type": "member", "username": ["x"], "password": "y"}, "MISSING_FIELD"),
        ({"user_type": "member", "username": "x", "password": "y" * 129}, "FIELD_TOO_LONG"),
    ):
        r = post("/auth/login", body)
        assert r.status_code == 400 and r.json_body["code"] == code, body
        assert "用户名或密码错误" not in r.json_body["message"]
    r = client.http.post("/auth/login", headers={"Content-Type": "application/json"}, body=b"{not json")
    assert r.status_code == 400 and r.json_body["code"] == "INVALID_JSON"


def test_account_throttle_grows_and_says_when_to_retry(client, make_member, login):
    m = make_member("110000")
    for _ in range(throttle.ACCOUNT.free - 1):
        assert login("member", m.member_no, "wrong-password").status_code == 401
    assert login("member", m.member_no, "wrong-password").status_code == 401  # 5th: delay starts
    r = login("member", m.member_no)  # even the right password must wait now
    assert r.status_code == 429, r.json_body
    assert r.json_body["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= r.json_body["retry_after"] <= 2
    assert r.headers["Retry-After"] == str(r.json_body["retry_after"])
    assert "秒后再试" in r.json_body["message"]


def test_unknown_usernames_are_throttled_exactly_like_real_ones(client, login):
    for _ in range(throttle.ACCOUNT.free):
        assert login("member", "110000999999", "wrong-password").status_code == 401
    r = login("member", "110000999999", "wrong-password")
    assert r.status_code == 429 and 1 <= r.json_body["retry_after"] <= 2


def test_delay_doubles_and_is_capped_so_no_long_lockout():
    free = throttle.ACCOUNT.free
    assert [throttle.delay_for(n, free) for n in range(free + 5)] == [0] * free + [2, 4, 8, 16, 32]
    assert throttle.delay_for(free + 50, free) == throttle.MAX_DELAY_SECONDS == 900


def test_lock_passes_and_success_clears_the_account_counter(client, make_member, login):
    m = make_member("110000")
    account_id = f"member:{m.member_no}"
    now = time.time()
    for _ in range(throttle.ACCOUNT.free + 3):
        throttle.record_failure(throttle.ACCOUNT, account_id, now=now)
    assert throttle.wait_seconds(throttle.ACCOUNT, account_id, now=now) == 16
    assert throttle.wait_seconds(throttle.ACCOUNT, account_id, now=now + 16) == 0
    # Let the lock run out, then sign in correctly: the counter is gone.
    item = EphemeralModel.get(f"fail#acct#{account_id}")
    item.data["until"] = now - 1
    item.save()
    assert login("member", m.member_no).status_code == 200
    assert throttle.wait_seconds(throttle.ACCOUNT, account_id) == 0
    with pytest.raises(EphemeralModel.DoesNotExist):
        EphemeralModel.get(f"fail#acct#{account_id}")


def test_expired_counter_starts_afresh(aws):
    now = time.time()
    for _ in range(throttle.ACCOUNT.free + 2):
        throttle.record_failure(throttle.ACCOUNT, "member:x", now=now)
    item = EphemeralModel.get("fail#acct#member:x")
    item.expires_at = item.expires_at.fromtimestamp(now - 1, item.expires_at.tzinfo)
    item.save()
    assert throttle.wait_seconds(throttle.ACCOUNT, "member:x") == 0
    assert throttle.record_failure(throttle.ACCOUNT, "member:x") == 0
    assert int(EphemeralModel.get("fail#acct#member:x").data["n"]) == 1


def test_client_address_throttle_spans_accounts(client, make_member, login, monkeypatch):
    monkeypatch.setattr(throttle, "CLIENT", throttle.Policy("fail#ip#", free=3))
    monkeypatch.setattr(chalice.local.LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.9")
    m = make_member("110000")
    for i in range(3):  # three different names: the per-account counters stay below their limit
        assert login("member", f"11000099999{i}", "wrong-password").status_code == 401
    r = login("member", m.member_no)
    assert r.status_code == 429 and r.json_body["retry_after"] >= 1
    # Another client address is not affected.
    monkeypatch.setattr(chalice.local.LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.7")
    assert login("member", m.member_no).status_code == 200


def test_outdated_hash_is_upgraded_at_sign_in(client, make_member, login):
    m = make_member("110000")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Demo#2026")
    account = AccountModel.get(f"member:{m.member_no}")
    account.password_hash = weak
    account.save()
    assert passwords.needs_rehash(weak)
    assert login("member", m.member_no).status_code == 200
    upgraded = AccountModel.get(f"member:{m.member_no}").password_hash
    assert upgraded != weak and not passwords.needs_rehash(upgraded)
    assert passwords.verify_password(upgraded, "Demo#2026")


def test_first_sign_in_with_initial_password_says_so(client, make_member, login, aws):
    m = make_member("110000")
    account = AccountModel.get(f"member:{m.member_no}")
    account.must_change_password = True
    account.save()
    r = login("member", m.member_no)
    assert r.status_code == 200 and r.json_body["user"]["must_change_password"] is True
    assert tokens.decode(aws.settings.token_key, r.json_body["token"]).must_change_password

"""The auth room's rules on the in-memory repository, without moto: throttle delays and windows,
single-use captchas, reset-code attempts and the token cut-off of a password reset."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.auth import captcha, revocation, service, throttle, tokens
from chalicelib.auth.models import AccountModel
from tests.fakes import FakeAuthRepository

SETTINGS: Any = SimpleNamespace(token_key="k" * 32, captcha_test_code="")


def test_failures_are_free_up_to_the_allowance_then_the_wait_doubles() -> None:
    repo = FakeAuthRepository()
    now = time.time()
    delays = [throttle.record_failure(throttle.ACCOUNT, "member:1", now, repo=repo) for _ in range(8)]
    assert delays == [0, 0, 0, 0, 2, 4, 8, 16]
    assert throttle.wait_seconds(throttle.ACCOUNT, "member:1", now, repo=repo) == 16
    assert throttle.wait_seconds(throttle.ACCOUNT, "member:1", now + 16, repo=repo) == 0
    assert throttle.wait_seconds(throttle.CLIENT, "member:1", now, repo=repo) == 0  # other counter


def test_a_cleared_account_starts_again_from_nothing() -> None:
    repo = FakeAuthRepository()
    for _ in range(6):
        throttle.record_failure(throttle.ACCOUNT, "member:1", repo=repo)
    throttle.clear(throttle.ACCOUNT, "member:1", repo=repo)
    assert throttle.wait_seconds(throttle.ACCOUNT, "member:1", repo=repo) == 0
    assert throttle.record_failure(throttle.ACCOUNT, "member:1", repo=repo) == 0


def test_the_longest_wait_is_capped() -> None:
    assert throttle.delay_for(100, 5) == throttle.MAX_DELAY_SECONDS


def test_a_rate_limit_lets_limit_hits_through_then_says_how_long_to_wait() -> None:
    repo = FakeAuthRepository()
    now = time.time()
    assert [throttle.hit("lookup", "1.2.3.4", limit=3, window_seconds=3600, now=now, repo=repo)
            for _ in range(3)] == [0, 0, 0]
    wait = throttle.hit("lookup", "1.2.3.4", limit=3, window_seconds=3600, now=now, repo=repo)
    assert 3590 <= wait <= 3600
    assert throttle.hit("lookup", "5.6.7.8", limit=3, window_seconds=3600, now=now, repo=repo) == 0


def test_an_expired_window_counts_from_one_again() -> None:
    repo = FakeAuthRepository()
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    repo.put_item("rate#lookup#1.2.3.4", {"n": 99}, past)
    assert throttle.hit("lookup", "1.2.3.4", limit=3, window_seconds=3600, repo=repo) == 0
    assert int(repo.get_item("rate#lookup#1.2.3.4").data["n"]) == 1


def test_a_captcha_answers_once() -> None:
    repo = FakeAuthRepository()
    captcha_id, answer, image = captcha.create(SETTINGS, repo=repo)
    assert image.startswith("data:image/png;base64,")
    captcha.verify(SETTINGS, captcha_id, answer.lower(), repo=repo)  # case does not matter
    with pytest.raises(captcha.CaptchaInvalid):
        captcha.verify(SETTINGS, captcha_id, answer, repo=repo)


def test_a_wrong_captcha_answer_uses_the_captcha_up() -> None:
    repo = FakeAuthRepository()
    captcha_id, answer, _ = captcha.create(SETTINGS, repo=repo)
    with pytest.raises(captcha.CaptchaInvalid):
        captcha.verify(SETTINGS, captcha_id, "0000", repo=repo)
    with pytest.raises(captcha.CaptchaInvalid):
        captcha.verify(SETTINGS, captcha_id, answer, repo=repo)


def test_an_expired_captcha_is_refused() -> None:
    repo = FakeAuthRepository()
    captcha_id, answer, _ = captcha.create(SETTINGS, repo=repo)
    stored = repo.get_item(f"captcha#{captcha_id}")
    repo.put_item(f"captcha#{captcha_id}", stored.data.as_dict(), datetime.now(timezone.utc) - timedelta(seconds=1))
    with pytest.raises(captcha.CaptchaInvalid):
        captcha.verify(SETTINGS, captcha_id, answer, repo=repo)


def _reset_code(repo: FakeAuthRepository, account_id: str, code: str) -> None:
    repo.put_item(f"reset#{account_id}", {"h": service._code_digest(SETTINGS, account_id, code), "tries": 0},
                  datetime.now(timezone.utc) + service.RESET_CODE_TTL)


def test_a_reset_code_works_once() -> None:
    repo = FakeAuthRepository()
    _reset_code(repo, "member:1", "123456")
    service._consume_reset_code(SETTINGS, "member:1", "123456", repo)
    with pytest.raises(service.ResetCodeInvalid):
        service._consume_reset_code(SETTINGS, "member:1", "123456", repo)


def test_after_the_allowed_wrong_tries_even_the_right_code_is_refused() -> None:
    repo = FakeAuthRepository()
    _reset_code(repo, "member:1", "123456")
    for tries in range(1, service.RESET_CODE_MAX_TRIES):
        with pytest.raises(service.ResetCodeInvalid):
            service._consume_reset_code(SETTINGS, "member:1", "000000", repo)
        assert int(repo.get_item("reset#member:1").data["tries"]) == tries
    with pytest.raises(service.ResetCodeInvalid):
        service._consume_reset_code(SETTINGS, "member:1", "000000", repo)
    assert repo.get_item("reset#member:1") is None  # used up: gone
    with pytest.raises(service.ResetCodeInvalid):
        service._consume_reset_code(SETTINGS, "member:1", "123456", repo)


def test_a_reset_in_the_same_second_voids_a_token_issued_just_before() -> None:
    repo = FakeAuthRepository()
    account_id = AccountModel.key("member", "110000000001")
    repo.add_account(service.member_account("110000000001", "110000", "张三", "hash", "2026-11-30T00:00:00Z"))
    _, claims = tokens.issue(SETTINGS.token_key, sub=account_id, role="member", association="110000")
    assert revocation.is_token_live(claims, repo=repo)
    service.reset_to_initial_password(account_id, repo=repo)
    assert not revocation.is_token_live(claims, repo=repo)
    assert repo.get_account(account_id).must_change_password is True


def test_a_logged_out_token_is_dead_and_a_disabled_account_has_no_live_token() -> None:
    repo = FakeAuthRepository()
    account_id = AccountModel.key("staff", "admin")
    repo.add_account(AccountModel(account_id, user_type="staff", username="admin", role="national_staff",
                                  association="000000", password_hash="hash"))
    _, first = tokens.issue(SETTINGS.token_key, sub=account_id, role="national_staff", association="000000")
    _, second = tokens.issue(SETTINGS.token_key, sub=account_id, role="national_staff", association="000000")
    revocation.revoke(first.jti, first.exp, repo=repo)
    assert not revocation.is_token_live(first, repo=repo) and revocation.is_token_live(second, repo=repo)
    service.set_disabled(account_id, True, repo=repo)
    assert not revocation.is_token_live(second, repo=repo)

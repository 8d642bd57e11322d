"""Sign-in does the same argon2id work whether the account is unknown, imported without a
password, or known with a wrong password, so response times do not tell imported accounts apart.

Wall-clock timing is too noisy on a shared machine for a test: the real argon2 verifications are
counted instead (bench/bench_login.py measures the times)."""

from __future__ import annotations

import json

from chalicelib.auth import passwords
from chalicelib.auth.models import AccountModel
from chalicelib.members.imports import NO_PASSWORD

REAL_PARAMS = "$argon2id$v=19$m=65536,t=3,p=4$"


def _count_verifications(monkeypatch):
    real = passwords._HASHER
    verified: list[str] = []

    class Counting:
        def verify(self, hash_: str, password: str) -> bool:
            verified.append(hash_)
            return real.verify(hash_, password)

        def __getattr__(self, name: str):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_HASHER", Counting())
    return verified


def test_imported_account_without_password_costs_one_real_verification(client, make_member, login,
                                                                        monkeypatch):
    known = make_member("110000")
    imported = make_member("110000")
    account = AccountModel.get(AccountModel.key("member", imported.member_no))
    account.password_hash = NO_PASSWORD
    account.save()
    verified = _count_verifications(monkeypatch)
    answers = []
    for username, password in ((imported.member_no, "Demo#2026"), (imported.member_no, "wrong-password"),
                               ("110000999999", "Demo#2026"), (known.member_no, "wrong-password")):
        before = len(verified)
        r = login("member", username, password)
        answers.append((r.status_code, r.body))
        assert len(verified) == before + 1, username
        assert verified[-1].startswith(REAL_PARAMS)  # a real hash with the same parameters
    assert len(set(answers)) == 1 and answers[0][0] == 401
    assert json.loads(answers[0][1])["code"] == "LOGIN_FAILED"


def test_an_unusable_hash_never_verifies():
    for unusable in (NO_PASSWORD, "", "$argon2id$broken", None):
        assert passwords.verify_password(unusable, "Demo#2026") is False

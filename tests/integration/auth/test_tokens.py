"""Tokens: forged ones are refused, logout revokes, and an initial password must be changed first."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from chalicelib.auth import tokens
from chalicelib.auth.models import AccountModel


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _get(client, path: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.http.get(path, headers=headers)


@pytest.fixture()
def member_token(aws, make_member):
    m = make_member("110000")
    token, claims = tokens.issue(aws.settings.token_key, sub=f"member:{m.member_no}", role="member",
                                 association="110000", member_no=m.member_no)
    return m, token, claims


def test_valid_token_is_accepted(client, member_token):
    _, token, _ = member_token
    assert _get(client, "/auth/session", token).status_code == 200


def _payload(claims) -> dict:
    return {"sub": claims.sub, "role": claims.role, "assoc": claims.association, "mno": claims.member_no,
            "mcp": False, "iat": claims.iat, "exp": claims.exp, "jti": claims.jti, "iss": "cpa-ecert"}


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_forged_tokens_are_refused(client, aws, member_token):
    m, token, claims = member_token
    key = aws.settings.token_key
    payload = _payload(claims)
    header_b64, payload_b64, sig = token.split(".")
    forged = {
        "missing": None,
        "empty": "",
        "garbage": "not-a-token",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload_b64}.",
        "alg none, staff role": f"{_b64({'alg': 'none', 'typ': 'JWT'})}."
                                f"{_b64({**payload, 'role': 'national_staff', 'assoc': '100000'})}.",
        "wrong key": jwt.encode(payload, "another-key-0123456789abcdef0123456789", algorithm="HS256"),
        "other algorithm": jwt.encode(payload, key, algorithm="HS512"),
        "tampered payload": f"{header_b64}.{_b64({**payload, 'role': 'association_staff'})}.{sig}",
        "expired": tokens.issue(key, sub=claims.sub, role="member", association="110000",
                                member_no=m.member_no, now=time.time() - 4000)[0],
        "no jti": jwt.encode({k: v for k, v in payload.items() if k != "jti"}, key, algorithm="HS256"),
        "wrong issuer": jwt.encode({**payload, "iss": "someone-else"}, key, algorithm="HS256"),
        "unknown account": tokens.issue(key, sub="member:110000999999", role="member", association="110000",
                                        member_no="110000999999")[0],
    }
    for label, bad in forged.items():
        r = _get(client, "/auth/session", bad)
        assert r.status_code in (401, 403), label
        assert m.name not in r.body.decode("utf-8", "replace"), label


def test_logout_revokes_the_token(client, member_token):
    _, token, _ = member_token
    r = client.http.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json_body == {"ok": True}
    assert _get(client, "/auth/session", token).status_code in (401, 403)
    # Logging out again with the dead token is refused too, not an error.
    r = client.http.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (401, 403)


def test_logout_needs_a_token(client):
    assert client.http.post("/auth/logout").status_code in (401, 403)


def test_disabled_account_loses_its_tokens(client, member_token):
    m, token, _ = member_token
    account = AccountModel.get(f"member:{m.member_no}")
    account.update(actions=[AccountModel.disabled.set(True)])
    assert _get(client, "/auth/session", token).status_code in (401, 403)


def _change(client, token, old, new):
    return client.http.post("/auth/password/change", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps({"old_password": old, "new_password": new}))


def test_initial_password_must_be_changed_before_anything_else(client, make_member, login):
    m = make_member("110000")
    AccountModel.get(f"member:{m.member_no}").update(actions=[AccountModel.must_change_password.set(True)])
    r = login("member", m.member_no)
    assert r.json_body["user"]["must_change_password"] is True
    token = r.json_body["token"]

    # Any other route refuses the token (the authorization-matrix test checks every route).
    r = _get(client, "/me/photo/consent", token)
    assert r.status_code == 403 and r.json_body["code"] == "PASSWORD_CHANGE_REQUIRED"
    assert _get(client, "/auth/session", token).status_code == 200  # allowed: shows who is signed in

    r = _change(client, token, "Demo#2026", "Demo#2026")
    assert r.status_code == 422 and r.json_body["code"] == "PASSWORD_UNCHANGED"
    r = _change(client, token, "Demo#2026", "12345678")
    assert r.status_code == 422 and r.json_body["code"] == "WEAK_PASSWORD"
    r = _change(client, token, "Demo#2026", f"x{m.member_no}y")
    assert r.status_code == 422 and r.json_body["code"] == "WEAK_PASSWORD"
    r = _change(client, token, "not-my-password", "a fresh passphrase")
    assert r.status_code == 400 and r.json_body["code"] == "WRONG_PASSWORD"

    r = _change(client, token, "Demo#2026", "a fresh passphrase")
    assert r.status_code == 200, r.json_body
    assert r.json_body["user"]["must_change_password"] is False
    fresh = r.json_body["token"]
    assert _get(client, "/auth/session", token).status_code in (401, 403)  # old token is dead
    assert _get(client, "/me/photo/consent", fresh).status_code != 403
    assert AccountModel.get(f"member:{m.member_no}").must_change_password is False

    assert login("member", m.member_no, "Demo#2026").status_code == 401
    assert login("member", m.member_no, "a fresh passphrase").status_code == 200


def test_password_change_counts_wrong_old_passwords(client, member_token, monkeypatch):
    from chalicelib.auth import throttle

    monkeypatch.setattr(throttle, "ACCOUNT", throttle.Policy("fail#acct#", free=2))
    _, token, _ = member_token
    for _ in range(2):
        assert _change(client, token, "wrong-old", "a fresh passphrase").status_code == 400
    r = _change(client, token, "Demo#2026", "a fresh passphrase")
    assert r.status_code == 429 and r.json_body["retry_after"] >= 1


def test_change_requires_a_signed_in_user(client):
    r = client.http.post("/auth/password/change", headers={"Content-Type": "application/json"},
                         body=json.dumps({"old_password": "a", "new_password": "b"}))
    assert r.status_code in (401, 403)

"""Over HTTP end to end: a session signed in through /auth/login dies when staff issue the member
an initial password, also when the reset lands in the same second as the sign-in (token `iat`
has whole-second resolution). The pure-token variant is in test_initial_password_revocation.py."""

from __future__ import annotations

import time

from chalicelib.auth import tokens
from chalicelib.auth.models import AccountModel


def test_same_second_reset_after_an_http_sign_in_ends_the_session(client, aws, make_member, persona, login,
                                                                   monkeypatch):
    staff = persona("association_staff", "110000", username="bj_staff")
    member = make_member("110000")
    # The clock stands still within a round, so sign-in and reset share their second however
    # slowly this machine runs argon2; each round starts in a later second.
    clock = [float(int(time.time())) - 100]  # in the past: PyJWT checks iat against the real clock
    monkeypatch.setattr(time, "time", lambda: clock[0])
    same_second = 0
    for _ in range(4):
        clock[0] += 10
        r = login("member", member.member_no)
        assert r.status_code == 200, r.body
        token = r.json_body["token"]
        iat = tokens.decode(aws.settings.token_key, token).iat
        reset = client.http.post(f"/members/{member.member_no}/initial-password", headers=staff.headers, body=b"{}")
        assert reset.status_code == 200, reset.body
        cutoff = AccountModel.get(AccountModel.key("member", member.member_no)).tokens_valid_after
        same_second += int(cutoff - 1 == iat)
        old = client.http.get("/auth/session", headers={"Authorization": f"Bearer {token}"})
        # Denied by the authorizer's policy: chalice local (like API Gateway for a Deny policy)
        # answers 403; API Gateway answers 401 only when the authorizer raises "Unauthorized".
        assert old.status_code in (401, 403), old.body
        # the member signs in again with the new password in the next round
        member_account = AccountModel.get(AccountModel.key("member", member.member_no))
        member_account.password_hash = AccountModel.get(AccountModel.key("staff", "bj_staff")).password_hash
        member_account.must_change_password = False
        member_account.save()
    assert same_second == 4  # every round really shared the second

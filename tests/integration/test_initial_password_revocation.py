"""Staff issuing an initial password ends every session the member had, even one that began
in the very same second (token `iat` has whole-second resolution)."""

from __future__ import annotations

import json
import time
from typing import Any

from chalicelib.auth import tokens


def _start_of_a_second() -> None:
    """Sleep until just after a second boundary, so the token and the reset share that second."""
    time.sleep(1.02 - (time.time() % 1))


def test_same_second_initial_password_revokes_the_old_token(client: Any, aws: Any, make_member: Any,
                                                            persona: Any) -> None:
    staff = persona("association_staff", "110000", username="bj_staff")
    member = make_member("110000")
    for _ in range(5):
        _start_of_a_second()
        token, _claims = tokens.issue(aws.settings.token_key, sub=f"member:{member.member_no}",
                                     role="member", association="110000", member_no=member.member_no)
        r = client.http.post(f"/members/{member.member_no}/initial-password", headers=staff.headers,
                             body=b"{}")
        assert r.status_code == 200, r.body
        old = client.http.get("/auth/session", headers={"Authorization": f"Bearer {token}"})
        # The authorizer denies it (API Gateway answers 401 or 403 depending on how it denies).
        assert old.status_code in (401, 403), json.loads(old.body or b"{}")

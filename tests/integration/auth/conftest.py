"""Helpers for the auth tests: solved captchas and sign-in through the real HTTP routes."""

from __future__ import annotations

import json
from typing import Any

import pytest

DEMO_PASSWORD = "Demo#2026"

@pytest.fixture()
def solved(aws: Any) -> Any:
    """solved() -> {"captcha_id", "captcha_code"}: a fresh captcha with its right answer."""
    from chalicelib.auth import captcha

    def _make() -> dict[str, str]:
        captcha_id, answer, _image = captcha.create(_settings())
        return {"captcha_id": captcha_id, "captcha_code": answer}

    return _make


@pytest.fixture()
def post(client: Any) -> Any:
    """post(path, body, token=None) -> response (JSON body sent)."""

    def _post(path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return client.http.post(path, headers=headers, body=json.dumps(body or {}))

    return _post


@pytest.fixture()
def login(post: Any, solved: Any) -> Any:
    """login(user_type, username, password=DEMO_PASSWORD) -> response."""

    def _login(user_type: str, username: str, password: str = DEMO_PASSWORD) -> Any:
        return post("/auth/login", {"user_type": user_type, "username": username, "password": password,
                                    **solved()})

    return _login


@pytest.fixture()
def staff_account(aws: Any, password_hash: str) -> Any:
    """staff_account(username, role, association, **fields) -> AccountModel with password Demo#2026."""
    from chalicelib.auth.models import AccountModel

    def _make(username: str = "bj_staff", role: str = "association_staff", association: str = "110000",
              **fields: Any) -> Any:
        account = AccountModel(AccountModel.key("staff", username), user_type="staff", username=username,
                               role=role, association=association, password_hash=password_hash,
                               **{"display_name": "北京注协演示员", "email": f"{username}@example.com", **fields})
        account.save()
        return account

    return _make


def _settings():  # the settings the app under test was wired with
    from chalicelib.bootstrap import deps

    return deps().settings

"""Inputs the schemathesis run (tests/e2e/test_api_contract.py) found answering 500 or outside the
contract; each is replayed here through the real routes (moto over the test client)."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest

from chalicelib.auth import captcha
from chalicelib.bootstrap import deps
from chalicelib.errors import AppError


def _post(client: Any, path: str, raw: str, content_type: str = "application/json") -> Any:
    return client.http.post(path, headers={"Content-Type": content_type}, body=raw.encode("utf-8"))


@pytest.mark.parametrize("path", ["/auth/login", "/public/lookup", "/auth/password/forgot", "/public/applications"])
def test_lone_surrogates_in_a_json_body_are_a_400(client: Any, path: str) -> None:
    # JSON may spell a UTF-16 surrogate half (\udbaf) that no UTF-8 text can hold: it used to reach
    # DynamoDB, hashing or hmac and answer 500.
    raw = '{"user_type": "member", "username": "\\udbaf1", "password": "x", "name": "\\ud800",' \
          ' "captcha_id": "x", "captcha_code": "\\udbafAB"}'
    r = _post(client, path, raw)
    assert r.status_code == 400, r.body
    assert r.json_body["code"] == "INVALID_JSON"
    assert "无效字符" in r.json_body["message"]


def test_a_surrogate_nested_in_a_member_change_is_a_400(client: Any) -> None:
    raw = json.dumps({"changes": {"address": "x"}}).replace('"x"', '"\\udfff"')
    r = client.http.patch("/me", headers={"Content-Type": "application/json"}, body=raw.encode())
    assert r.status_code in (400, 401)  # refused before or after the authorizer, never a 500


def test_non_ascii_captcha_answer_is_wrong_not_a_crash(aws: Any) -> None:
    # hmac.compare_digest refuses non-ASCII str: the test code comparison raised TypeError.
    settings = dataclasses.replace(deps().settings, captcha_test_code="TEST")
    for answer in ("中文", "é"):
        captcha_id, _answer, _image = captcha.create(settings)
        with pytest.raises(AppError) as err:
            captcha.verify(settings, captcha_id, answer)
        assert err.value.code == captcha.CaptchaInvalid.code


@pytest.mark.parametrize("path,content_type,role", [
    ("/public/lookup", "multipart/form-data; boundary=x", None),
    ("/members/imports", "application/json", "association_staff"),
    ("/members/{member_no}/photo/prepare", "text/plain", "association_staff"),
])
def test_an_unsupported_content_type_is_refused_in_the_error_contract(client: Any, persona: Any, path: str,
                                                                      content_type: str, role: str | None) -> None:
    # Chalice's own refusal was {"Code": "UnsupportedMediaType", "Message": ...}, outside the contract.
    headers = {"Content-Type": content_type}
    if role:
        headers["Authorization"] = f"Bearer {persona(role).token}"
    r = client.http.post(path.replace("{member_no}", "110000000001"), headers=headers, body=b"{}")
    assert r.status_code == 415, r.body
    assert r.json_body["code"] == "UNSUPPORTED_MEDIA_TYPE" and "不支持的请求内容类型" in r.json_body["message"]


def test_login_with_text_plain_is_415_with_a_chinese_message(client: Any) -> None:
    r = _post(client, "/auth/login", "{}", "text/plain")
    assert r.status_code == 415
    assert r.json_body == {"code": "UNSUPPORTED_MEDIA_TYPE", "message": "不支持的请求内容类型:text/plain"}


def test_binary_routes_still_take_their_media_types(client: Any, persona: Any) -> None:
    token = persona("association_staff").token
    r = client.http.post("/members/imports?mode=dry_run", body=b"not a workbook",
                         headers={"Content-Type": "application/octet-stream", "Authorization": f"Bearer {token}"})
    assert r.status_code != 415 and r.status_code < 500


def _staff_call(client: Any, persona: Any, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {persona('association_staff').token}", "Content-Type": "application/json",
               "Accept": "*/*"}
    raw = json.dumps(body) if body is not None else None
    return getattr(client.http, method)(path, headers=headers, body=raw)


@pytest.mark.parametrize("body,code", [
    ({"member_nos": [], "filter": [None, None], "only_complete": False}, "INVALID_FILTER"),
    ({"filter": [1]}, "INVALID_FILTER"),
    ({"member_nos": {"a": 1}}, "INVALID_SELECTION"),
])
def test_bulk_with_a_list_for_an_object_is_a_400(client: Any, persona: Any, body: Any, code: str) -> None:
    r = _staff_call(client, persona, "post", "/jobs", {"kind": "bulk_certs", **body})
    assert r.status_code == 400, r.body
    assert r.json_body["code"] == code


def test_a_member_change_with_a_list_for_changes_is_a_400(client: Any, persona: Any) -> None:
    r = _staff_call(client, persona, "patch", "/members/110000000001", {"version": 1, "changes": ["x"]})
    assert r.status_code == 400 and r.json_body["code"] == "INVALID_BODY"


def test_export_with_control_characters_and_unknown_keys_in_the_filter_finishes(client: Any, aws: Any,
                                                                               persona: Any) -> None:
    from openpyxl import load_workbook

    from tests.integration.export_job import export_xlsx

    data = export_xlsx(client, aws, persona("association_staff"),
                       {"\U00103b48\x15": "\x02x", "q": "\x01a\x0b", "zz\x1d": "1"})
    load_workbook(io.BytesIO(data), read_only=True)  # a workbook, whatever the filter held

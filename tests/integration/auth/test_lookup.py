"""Public member-number lookup: name + ID must match, one 'not found' answer, rate-limited."""

from __future__ import annotations

import pytest

from chalicelib.auth import service
from chalicelib.auth.models import AccountModel

NOT_FOUND = {"code": "LOOKUP_NOT_FOUND", "message": service.LookupNotFound.message}


@pytest.fixture()
def lookup(post, solved):
    def _lookup(name: str, id_type: str, id_number: str):
        return post("/public/lookup", {"name": name, "id_type": id_type, "id_number": id_number, **solved()})
    return _lookup


def test_lookup_finds_the_member_number(client, make_member, lookup):
    m = make_member("310000")
    p = m.fields()
    r = lookup(f" {m.name} ", p["id_type"], p["id_number"].lower())
    assert r.status_code == 200, r.json_body
    assert r.json_body == {"member_no": m.member_no, "association": "310000",
                           "association_name": "上海市注册会计师协会", "activated": True}
    assert "password" not in r.body.decode()


def test_activated_means_a_usable_account_with_a_chosen_password(client, make_member, lookup):
    m = make_member("110000")
    p = m.fields()
    AccountModel.get(f"member:{m.member_no}").update(actions=[AccountModel.must_change_password.set(True)])
    assert lookup(m.name, p["id_type"], p["id_number"]).json_body["activated"] is False
    AccountModel.get(f"member:{m.member_no}").delete()
    r = lookup(m.name, p["id_type"], p["id_number"])
    assert r.status_code == 200 and r.json_body["activated"] is False


def test_overseas_member_with_passport(client, make_member, lookup):
    m = make_member("100000")
    p = m.fields()
    assert p["id_type"] == "护照"
    r = lookup(m.name, "护照", p["id_number"])
    assert r.status_code == 200 and r.json_body["association"] == "100000"


def test_mismatches_give_one_not_found_answer(client, make_member, lookup):
    m = make_member("110000")
    p = m.fields()
    answers = {
        "wrong name": lookup(m.name + "某", p["id_type"], p["id_number"]),
        "wrong id type": lookup(m.name, "护照", p["id_number"]),
        "wrong number": lookup(m.name, p["id_type"], "110101199001011234"),
        "nobody": lookup("无此人", "居民身份证", "110101199001011234"),
    }
    for label, r in answers.items():
        assert r.status_code == 404 and r.json_body == NOT_FOUND, label
        assert m.member_no not in r.body.decode(), label
    assert len({r.body for r in answers.values()}) == 1


def test_lookup_needs_a_solved_captcha(client, make_member, post):
    m = make_member("110000")
    p = m.fields()
    r = post("/public/lookup", {"name": m.name, "id_type": p["id_type"], "id_number": p["id_number"],
                                "captcha_id": "nope", "captcha_code": "ABCD"})
    assert r.status_code == 400 and r.json_body["code"] == "CAPTCHA_INVALID"
    r = post("/public/lookup", {"name": m.name, "id_type": p["id_type"]})
    assert r.status_code == 400 and r.json_body["code"] == "MISSING_FIELD"


def test_lookup_is_rate_limited_per_client(client, make_member, lookup, monkeypatch):
    import chalice.local

    monkeypatch.setattr(service, "LOOKUP_PER_CLIENT_PER_HOUR", 3)
    m = make_member("110000")
    p = m.fields()
    for _ in range(3):
        assert lookup("无此人", "居民身份证", "110101199001011234").status_code == 404
    r = lookup(m.name, p["id_type"], p["id_number"])
    assert r.status_code == 429 and r.json_body["code"] == "TOO_MANY_REQUESTS"
    assert 3500 <= r.json_body["retry_after"] <= 3600 and r.headers["Retry-After"]
    monkeypatch.setattr(chalice.local.LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.7")
    assert lookup(m.name, p["id_type"], p["id_number"]).status_code == 200

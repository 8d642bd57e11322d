"""A suspended or cancelled member cannot give face consent, upload, auto-fix or download: one
code (409 NOT_ACTIVE) with the status and whom to contact, and GET /me says the same."""

from __future__ import annotations

import json

import pytest

from chalicelib.members.models import MemberModel
from chalicelib.photo.models import UploadModel
from chalicelib.photo.service import CONSENT_TEXT_VERSION
from tests.conftest import FACES

PHOTO = (FACES / "spec_white" / "obama_01.jpg").read_bytes()


@pytest.mark.parametrize("status,label", [("suspended", "暂停"), ("cancelled", "注销")])
def test_inactive_member_gets_no_consent_upload_prepare_or_certificate(client, persona, make_member, status, label):
    m = make_member("110000", status=status)
    me = persona("member", "110000", member_no=m.member_no)
    jpeg = {**me.headers, "Content-Type": "image/jpeg"}
    calls = [
        client.http.post("/me/photo/consent", headers=me.headers,
                         body=json.dumps({"text_version": CONSENT_TEXT_VERSION})),
        client.http.post("/me/photo/uploads", headers=me.headers),
        client.http.post("/me/photo/direct-uploads", headers=jpeg, body=PHOTO),
        client.http.post("/me/photo/prepare", headers=jpeg, body=PHOTO),
        client.http.get("/me/certificate", headers={**me.headers, "Accept": "application/pdf"}),
    ]
    for r in calls:
        assert r.status_code == 409, r.body
        assert r.json_body["code"] == "NOT_ACTIVE"
        assert f"“{label}”" in r.json_body["message"] and "北京注册会计师协会" in r.json_body["message"]
    stored = MemberModel.get(m.member_no)
    assert stored.face_consent is None  # no biometric consent recorded
    assert list(UploadModel.scan()) == []  # and no upload slot handed out

    body = client.http.get("/me", headers=me.headers).json_body
    assert body["standing"] == {"status": status, "status_label": label, "active": False,
                                "meaning": body["standing"]["meaning"], "contact": "北京注册会计师协会"}
    assert body["standing"]["meaning"]


def test_active_member_standing(client, persona, make_member):
    m = make_member("110000")
    me = persona("member", "110000", member_no=m.member_no)
    body = client.http.get("/me", headers=me.headers).json_body
    assert body["standing"]["active"] is True and body["standing"]["status_label"] == "正常"

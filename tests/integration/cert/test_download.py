"""Certificate download gates, cache, audit and public verification through the real app."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import parse_qs, urlparse

from chalicelib.cert import service as cert_service
from chalicelib.members.models import AuditModel, MemberModel

PDF = {"Accept": "application/pdf"}


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_member_downloads_a_pdf_with_filename_and_audit(client, persona, with_photo):
    m = with_photo(name="张喆")
    me = persona("member", "110000", member_no=m.member_no)
    r = client.http.get("/me/certificate", headers={**me.headers, **PDF})
    assert r.status_code == 200, r.body
    assert r.headers["Content-Type"] == "application/pdf" and r.body[:5] == b"%PDF-"
    disposition = r.headers["Content-Disposition"]
    assert f'filename="{m.member_no}.pdf"' in disposition and "filename*=UTF-8''" in disposition
    assert len(r.body) < 400 * 1024
    text = _pdf_text(r.body)
    assert m.member_no in text and "张喆" in text and "非执业会员" in text
    assert any(e.action == "certificate" for e in AuditModel.query(m.member_no))


def test_staff_download_and_scope(client, persona, with_photo):
    m = with_photo()
    bj = persona("association_staff", "110000")
    assert client.http.get(f"/members/{m.member_no}/certificate", headers={**bj.headers, **PDF}).status_code == 200
    for other in (persona("association_staff", "310000"), persona("national_staff", "100000")):
        r = client.http.get(f"/members/{m.member_no}/certificate", headers={**other.headers, **PDF})
        assert r.status_code == 404


def test_gates_in_order_with_legacy_messages(client, persona, make_member, with_photo):
    bj = persona("association_staff", "110000")
    suspended = with_photo(status="suspended")
    r = client.http.get(f"/members/{suspended.member_no}/certificate", headers={**bj.headers, **PDF})
    assert r.status_code == 409 and r.json_body["code"] == "NOT_ACTIVE"

    incomplete = with_photo(complete=False)
    me = persona("member", "110000", member_no=incomplete.member_no)
    r = client.http.get("/me/certificate", headers={**me.headers, **PDF})
    assert r.status_code == 409 and r.json_body["code"] == "INFO_INCOMPLETE"
    assert r.json_body["message"] == "请您先将基础信息中的必填信息补充完整"
    assert {"key": "job_field", "label": "职务领域"} in r.json_body["missing"]
    r = client.http.get(f"/members/{incomplete.member_no}/certificate", headers={**bj.headers, **PDF})
    assert r.json_body["message"] == "请将会员必填信息补充完整,再进行下载" and r.json_body["missing"]

    no_photo = make_member()
    me = persona("member", "110000", member_no=no_photo.member_no)
    r = client.http.get("/me/certificate", headers={**me.headers, **PDF})
    assert r.status_code == 409 and r.json_body == {"code": "PHOTO_MISSING", "message": "没有查询到照片信息"}


def test_photo_store_down_is_503(client, persona, with_photo, monkeypatch):
    from chalicelib.storage import PhotoStore, PhotoStoreUnavailable

    m = with_photo()
    me = persona("member", "110000", member_no=m.member_no)

    def broken(self, key, version_id=None):
        raise PhotoStoreUnavailable()

    monkeypatch.setattr(PhotoStore, "get", broken)
    r = client.http.get("/me/certificate", headers={**me.headers, **PDF})
    assert r.status_code == 503 and r.json_body == {"code": "PHOTO_UNAVAILABLE", "message": "获取照片信息失败"}


def test_repeat_download_renders_nothing_and_a_change_renders_afresh(client, persona, with_photo, monkeypatch):
    m = with_photo()
    me = persona("member", "110000", member_no=m.member_no)
    calls = []
    real = cert_service._render
    monkeypatch.setattr(cert_service, "_render", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = client.http.get("/me/certificate", headers={**me.headers, **PDF}).body
    second = client.http.get("/me/certificate", headers={**me.headers, **PDF}).body
    assert len(calls) == 1 and first == second
    member = MemberModel.get(m.member_no)
    member.profile["name"] = "李玥"
    member.name = "李玥"
    member.save()
    third = client.http.get("/me/certificate", headers={**me.headers, **PDF}).body
    assert len(calls) == 2 and third != first and "李玥" in _pdf_text(third)


def test_only_a_repeat_of_an_issue_asks_the_cache(client, aws, persona, with_photo, monkeypatch):
    m = with_photo()
    me = persona("member", "110000", member_no=m.member_no)
    asked = []
    real = aws.certificates.get_pdf
    monkeypatch.setattr(aws.certificates, "get_pdf", lambda cache_id: asked.append(cache_id) or real(cache_id))
    first = client.http.get("/me/certificate", headers={**me.headers, **PDF}).body
    assert asked == []  # a new issue: nothing can be cached under it yet
    second = client.http.get("/me/certificate", headers={**me.headers, **PDF}).body
    assert len(asked) == 1 and second == first


def test_link_mode_gives_a_short_lived_url(client, persona, with_photo):
    m = with_photo()
    me = persona("member", "110000", member_no=m.member_no)
    body = client.http.get("/me/certificate?link=1", headers=me.headers).json_body
    assert body["expires_in"] <= 600 and body["filename"] == f"{m.member_no}.pdf"
    assert "certificates/" in body["url"] and "Signature" in body["url"]


def test_verification_is_valid_masked_and_unforgeable(client, aws, persona, with_photo):
    m = with_photo(name="欧阳玥玥", mobile="13912345678", email="secret@example.com")
    me = persona("member", "110000", member_no=m.member_no)
    assert client.http.get("/me/certificate", headers={**me.headers, **PDF}).status_code == 200
    issued = MemberModel.get(m.member_no).cert_issued_on
    code = cert_service.sign_code(aws.settings.verify_key, m.member_no, cert_service.date.fromisoformat(issued))
    url = cert_service.verification_url(aws.settings.site_url, m.member_no, code)
    params = parse_qs(urlparse(url).query)
    r = client.http.get(f"/public/verify/{params['no'][0]}?c={params['c'][0]}")
    body = r.json_body
    assert body["valid"] is True and body["status"] == "active" and body["issued_on"] == issued
    assert body["name_masked"] == "欧阳**" and body["member_no"] == m.member_no
    raw = json.dumps(body, ensure_ascii=False)
    for secret in ("欧阳玥玥", "13912345678", "secret@example.com", m.profile["id_number"], m.profile["birth_date"]):
        assert secret not in raw

    forged = ("A" if code[0] != "A" else "B") + code[1:]
    assert client.http.get(f"/public/verify/{m.member_no}?c={forged}").json_body["valid"] is False
    other = with_photo()
    assert client.http.get(f"/public/verify/{other.member_no}?c={code}").json_body["valid"] is False

    member = MemberModel.get(m.member_no)
    member.status = "suspended"
    member.save()
    body = client.http.get(f"/public/verify/{m.member_no}?c={code}").json_body
    assert body["valid"] is False and body["status"] == "suspended"

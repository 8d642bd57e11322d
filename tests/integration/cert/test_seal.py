"""Association seals: the upload CLI's checks, and production refusing the sample seal."""

from __future__ import annotations

import dataclasses
from io import BytesIO

import pytest
from PIL import Image

from chalicelib.bootstrap import deps
from chalicelib.cert.seal import sample_seal
from chalicelib.cert.seal_upload import SealInvalid, check_seal_png, main, seal_key

PDF = {"Accept": "application/pdf"}


def _png(size=(500, 500), mode="RGBA", background=(0, 0, 0, 0), fmt="PNG") -> bytes:
    image = Image.new(mode, size, background if mode == "RGBA" else background[:3])
    for x in range(size[0] // 4, 3 * size[0] // 4):
        for y in range(size[1] // 4, 3 * size[1] // 4):
            image.putpixel((x, y), (200, 20, 30, 255) if mode == "RGBA" else (200, 20, 30))
    out = BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def test_a_transparent_round_seal_passes():
    info = check_seal_png(sample_seal("北京注册会计师协会"))
    assert info.width == info.height == 472 and info.transparent_fraction > 0.2


@pytest.mark.parametrize("data, reason", [
    (_png(fmt="JPEG", mode="RGB"), "PNG"),
    (_png(mode="RGB", background=(255, 255, 255, 255)), "透明通道"),
    (_png(background=(255, 255, 255, 255)), "背景须透明"),
    (_png(size=(120, 120)), "尺寸"),
    (_png(size=(1200, 400)), "宽高比"),
    (Image.new("RGBA", (1, 1)).tobytes() + b"\x89PNG", "PNG"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "损坏"),
])
def test_unusable_seals_are_refused_with_a_reason(data, reason):
    with pytest.raises(SealInvalid) as err:
        check_seal_png(data)
    assert reason in err.value.message and err.value.status == 422


def test_cli_uploads_to_the_fixed_key(aws, tmp_path, capsys):
    seal = sample_seal("北京注册会计师协会")
    path = tmp_path / "seal.png"
    path.write_bytes(seal)
    assert main(["upload-seal", "--association", "110000", str(path)]) == 0
    assert aws.photos.get(seal_key("110000")).body == seal
    assert seal_key("110000") == "seals/110000.png" and "已上传" in capsys.readouterr().out

    path.write_bytes(_png(background=(255, 255, 255, 255)))
    assert main(["upload-seal", "--association", "310000", str(path)]) == 1
    assert aws.photos.get(seal_key("310000")) is None
    assert "背景须透明" in capsys.readouterr().err
    assert main(["upload-seal", "--association", "999999", str(tmp_path / "seal.png")]) == 1


@pytest.fixture()
def production(aws, monkeypatch):
    """The settings of a stage without ALLOW_SAMPLE_SEAL (prod, prod-cn)."""
    monkeypatch.setattr(deps(), "settings", dataclasses.replace(deps().settings, allow_sample_seal=False))


def test_production_refuses_to_issue_with_the_sample_seal(client, persona, with_photo, production):
    m = with_photo()
    for who, path in ((persona("member", "110000", member_no=m.member_no), "/me/certificate"),
                      (persona("association_staff", "110000"), f"/members/{m.member_no}/certificate")):
        r = client.http.get(path, headers={**who.headers, **PDF})
        assert r.status_code == 503, r.body
        assert r.json_body["code"] == "SEAL_MISSING" and "印章尚未上传" in r.json_body["message"]


def test_production_issues_once_the_seal_is_uploaded(client, aws, persona, with_photo, production):
    m = with_photo()
    aws.photos.put(seal_key("110000"), sample_seal("北京注册会计师协会"), content_type="image/png")
    me = persona("member", "110000", member_no=m.member_no)
    r = client.http.get("/me/certificate", headers={**me.headers, **PDF})
    assert r.status_code == 200 and r.body[:5] == b"%PDF-"

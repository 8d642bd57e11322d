"""The rendered certificate: its text, its QR code, Chinese names, stability, size, errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
import zxingcpp

from bench.naive_render import render_certificate_naive
from chalicelib.cert import codes, wording
from chalicelib.cert.fontpack import GlyphMissing
from chalicelib.cert.render import BEIJING, CertificateDataInvalid, PhotoInvalid, render_certificate
from chalicelib.cert.seal import sample_seal
from tests.unit.cert.conftest import CREATED, ISSUED, SITE, VERIFY_KEY, member, pdf_text, rasterise, url_for


def test_text_has_every_field(certificate: bytes) -> None:
    text = pdf_text(certificate)
    for expected in (
        "中国注册会计师协会", "非执业会员证书", "电子会员证书", "张喆", "男", "1988年5月12日",
        "110000123456", "2015年6月30日", "京注协〔2015〕35号", "北京注册会计师协会",
        "发证日期：2024年3月1日", "非执业会员",
    ):
        assert expected in text, expected


def test_one_a4_landscape_page_within_size_budget(certificate: bytes) -> None:
    assert certificate.startswith(b"%PDF-")
    assert certificate.count(b"/Type /Page") - certificate.count(b"/Type /Pages") == 1
    assert b"/MediaBox [0 0 841.89 595.28]" in certificate
    assert len(certificate) <= 150 * 1024


def test_qr_code_decodes_to_the_verification_url_whose_code_verifies(certificate: bytes) -> None:
    results = zxingcpp.read_barcodes(rasterise(certificate, dpi=150))
    qr = [r for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(qr) == 1
    assert qr[0].text == url_for(member())
    code = qr[0].text.split("&c=", 1)[1]
    assert qr[0].text.startswith(f"{SITE}/verify/?no=110000123456&c=")
    assert codes.read_code(VERIFY_KEY, "110000123456", code) == ISSUED


@pytest.mark.parametrize("name", ["王喆", "李堃", "赵玥", "孙祎", "周昇", "欧阳堃玥", "阿依古丽·买买提"])
def test_names_outside_gb2312_render_and_extract_back(photo: bytes, name: str) -> None:
    data = member(name=name)
    text = pdf_text(render_certificate(data, photo, ISSUED, qr_url=url_for(data)))
    assert name in text
    assert f"经审核批准，{name}为中国注册会计师协会非执业会员" in text  # no space around the name


def test_the_rare_names_really_are_outside_gb2312() -> None:
    for char in "喆堃玥祎昇":
        with pytest.raises(UnicodeEncodeError):
            char.encode("gb2312")
        char.encode("gbk")


def test_missing_glyph_is_an_error_naming_the_character(photo: bytes) -> None:
    data = member(name="张𠀾")  # CJK Extension B: outside GBK, not in the bundled font
    with pytest.raises(GlyphMissing) as caught:
        render_certificate(data, photo, ISSUED, qr_url=url_for(data))
    error = caught.value
    assert error.code == "GLYPH_MISSING" and error.status == 422
    assert "𠀾" in error.message and "U+2003E" in error.message
    assert error.body()["chars"] == ["𠀾"]


def test_missing_glyph_in_any_field_is_reported(photo: bytes) -> None:
    data = member(association_name="北京注册会计师协会\u0e01")  # Thai ko kai
    with pytest.raises(GlyphMissing, match="U\\+0E01"):
        render_certificate(data, photo, ISSUED, qr_url=url_for(data))


def test_byte_stable_for_the_same_input(photo: bytes, certificate: bytes) -> None:
    data = member()
    again = render_certificate(data, photo, ISSUED, qr_url=url_for(data), creation_date=CREATED)
    assert again == certificate


def test_default_creation_date_is_the_issue_date_so_output_is_a_function_of_the_input(photo: bytes) -> None:
    data = member()
    first = render_certificate(data, photo, ISSUED, qr_url=url_for(data))
    assert first == render_certificate(data, photo, ISSUED, qr_url=url_for(data))
    assert b"D:20240301000000+08'00'" in first
    later = render_certificate(data, photo, ISSUED, qr_url=url_for(data),
                               creation_date=datetime(2024, 3, 2, tzinfo=BEIJING))
    assert later != first


def test_changed_data_changes_the_output(photo: bytes, certificate: bytes) -> None:
    data = member(approval_doc_no="京注协〔2015〕36号")
    other = render_certificate(data, photo, ISSUED, qr_url=url_for(data), creation_date=CREATED)
    assert other != certificate


def test_naive_reference_renders_the_same_page(photo: bytes, certificate: bytes) -> None:
    data = member()
    naive = render_certificate_naive(data, photo, ISSUED, qr_url=url_for(data), creation_date=CREATED)
    assert pdf_text(naive, layout=True) == pdf_text(certificate, layout=True)
    # Same drawing, same glyph outlines: the pages look identical, pixel for pixel.
    assert rasterise(naive, dpi=40).tobytes() == rasterise(certificate, dpi=40).tobytes()


def test_configured_seal_is_used_instead_of_the_sample(photo: bytes, certificate: bytes) -> None:
    data = member()
    own = render_certificate(data, photo, ISSUED, qr_url=url_for(data), creation_date=CREATED,
                             seal=sample_seal("上海市注册会计师协会"))
    assert own != certificate


def test_long_values_shrink_to_fit(photo: bytes) -> None:
    data = member(name="阿卜杜热合曼·买买提艾力·库尔班江", association_name="新疆生产建设兵团注册会计师协会")
    text = pdf_text(render_certificate(data, photo, ISSUED, qr_url=url_for(data)))
    assert "新疆生产建设兵团注册会计师协会" in text


def test_unreadable_photo_is_reported(photo: bytes) -> None:
    data = member()
    with pytest.raises(PhotoInvalid) as caught:
        render_certificate(data, b"not a jpeg", ISSUED, qr_url=url_for(data))
    assert caught.value.code == "PHOTO_INVALID"


def test_empty_fields_are_refused_by_name() -> None:
    with pytest.raises(CertificateDataInvalid) as caught:
        member(name="  ", approval_doc_no="")
    assert caught.value.body()["missing"] == ["name", "approval_doc_no"]


def test_iso_date_strings_and_stray_whitespace_are_normalised() -> None:
    data = member(birth_date="1988-05-12", name=" 张\n喆 ")
    assert data.birth_date == date(1988, 5, 12)
    assert data.name == "张 喆"
    assert replace(data, name="张喆").name == "张喆"


def test_display_wording_is_covered_by_the_headline_font() -> None:
    from chalicelib.cert.fontpack import body_font, display_font

    for text in wording.DISPLAY_STRINGS:
        assert display_font().missing(text) == [], f"re-run scripts/build_font.py for {text!r}"
    for text in wording.BODY_STRINGS:
        assert body_font().missing(text.replace("{name}", "")) == []

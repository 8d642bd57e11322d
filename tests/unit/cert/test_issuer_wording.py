"""Who issues the certificate, and how its Chinese text is set: the national institute issues
overseas members' certificates in its own name (issuer line and seal), their category is a
field; full-width punctuation and no stray ASCII spaces; evenly spaced labels. Writes preview
PNGs of a domestic and an overseas certificate to test-artifacts/cert/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fpdf import FPDF

from chalicelib.cert import fontpack, render, wording
from chalicelib.cert.seal import sample_seal
from chalicelib.members.models import MemberModel
from chalicelib.members.schema import NATIONAL_CODE
from tests.unit.cert.conftest import CREATED, ISSUED, pdf_text, rasterise, url_for

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "cert"
CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"


def _record(association: str) -> MemberModel:
    profile = {"name": "张示例", "gender": "女", "birth_date": "1990-01-02", "approval_date": "2016-07-01",
               "approval_doc_no": "中注协(2016)12号"}
    return MemberModel("100000000123" if association == NATIONAL_CODE else "110000000123",
                       association=association, profile=profile)


def _data(association: str) -> render.CertificateData:
    from chalicelib.cert.service import _data as certificate_data

    return certificate_data(_record(association))


def _render(data: render.CertificateData, seal: bytes | None = None) -> bytes:
    return render.render_certificate(data, (Path(__file__).resolve().parents[2] / "fixtures" / "faces" /
                                            "spec_white" / "obama_01.jpg").read_bytes(),
                                     ISSUED, qr_url=url_for(data), seal=seal, creation_date=CREATED)


@pytest.fixture(scope="module")
def overseas() -> bytes:
    return _render(_data(NATIONAL_CODE))


@pytest.fixture(scope="module")
def domestic() -> bytes:
    return _render(_data("110000"))


def test_overseas_certificate_is_issued_by_the_institute_itself(overseas: bytes) -> None:
    data = _data(NATIONAL_CODE)
    assert data.issuer_name == data.association_name == "中国注册会计师协会"
    assert data.member_category == "海外非执业会员"
    text = pdf_text(overseas)
    assert "海外会员)" not in text and "海外会员）" not in text  # no category printed as a body
    lines = [line.strip() for line in pdf_text(overseas, layout=True).splitlines()]
    assert any(re.fullmatch(r"中国注册会计师协会", line) for line in lines)  # the issuer line
    packed = text.replace(" ", "")  # justified labels come out letter-spaced
    assert "会员类别" in packed and "海外非执业会员" in packed
    # The seal names the institute: the default seal is the sample seal of exactly that name.
    assert _render(data, seal=sample_seal("中国注册会计师协会")) == overseas


def test_domestic_certificate_keeps_its_association_and_no_category(domestic: bytes) -> None:
    data = _data("110000")
    assert data.issuer_name == data.association_name == "北京注册会计师协会" and not data.member_category
    assert "会员类别" not in pdf_text(domestic)


@pytest.mark.parametrize("association", ["110000", NATIONAL_CODE])
def test_every_chinese_text_is_full_width_without_stray_spaces(association: str) -> None:
    texts = render._texts(_data(association), ISSUED)
    printed = [v for _, v in texts.fields] + [label for label, _ in texts.fields] + [texts.statement,
               *texts.signature, wording.ISSUER, wording.TITLE, wording.SUBTITLE, wording.QR_CAPTION,
               wording.FOOTNOTE]
    for text in printed:
        assert not re.search(rf"[{CJK}] | [{CJK}]", text), text
        assert not re.search(rf"[{CJK}][(),:;!?]|[(),:;!?][{CJK}]", text), text
    assert "张示例为中国注册会计师协会" in texts.statement
    assert ("批准文号", "中注协（2016）12号") in texts.fields


def test_chinese_text_leaves_latin_alone() -> None:
    assert render.chinese_text("John Smith (Jr.)") == "John Smith (Jr.)"
    assert render.chinese_text("京注协 (2015) 35号") == "京注协（2015）35号"


def test_labels_are_justified_with_room_between_characters() -> None:
    pdf = FPDF(unit="mm")
    pdf.add_font("display", fname=str(fontpack.DISPLAY_FONT))
    pdf.set_font("display", size=render.LABEL_PT)
    labels = [wording.LABEL_NAME, wording.LABEL_GENDER, wording.LABEL_BIRTH, wording.LABEL_MEMBER_NO,
              wording.LABEL_APPROVAL_DATE, wording.LABEL_APPROVAL_DOC, wording.LABEL_ASSOCIATION,
              wording.LABEL_CATEGORY]
    gaps = {label: (render.LABEL_W - pdf.get_string_width(label)) / (len(label) - 1) for label in labels}
    assert min(gaps.values()) >= 1.0, gaps  # the longest label is not squeezed against itself
    assert gaps[wording.LABEL_MEMBER_NO] == min(gaps.values())


def test_preview_pngs(domestic: bytes, overseas: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, pdf in (("domestic", domestic), ("overseas", overseas)):
        image = rasterise(pdf, dpi=110)
        image.save(ARTIFACTS / f"certificate-{name}.png")
        assert image.size[0] > image.size[1]  # A4 landscape

"""PAdES signing: the signature validates with pyHanko, and one changed byte breaks it."""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from chalicelib.cert.signing import SIGNATURE_FIELD, SigningFailed, make_self_signed, sign_pdf


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return make_self_signed("证书签名测试")


@pytest.fixture(scope="module")
def signed(certificate: bytes, pair: tuple[str, str]) -> bytes:
    return sign_pdf(certificate, *pair)


def _status(pdf: bytes, cert_pem: str):  # type: ignore[no-untyped-def]
    _, _, der = pem.unarmor(cert_pem.encode())
    context = ValidationContext(trust_roots=[x509.Certificate.load(der)])
    signature = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures[0]
    return signature, validate_pdf_signature(signature, context)


def test_signature_validates_with_the_signer_as_trust_root(signed: bytes, pair: tuple[str, str],
                                                           certificate: bytes) -> None:
    assert signed.startswith(certificate)  # an incremental update: the rendered bytes are kept
    signature, status = _status(signed, pair[1])
    assert signature.field_name == SIGNATURE_FIELD
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.docmdp_ok
    assert "证书签名测试" in status.signing_cert.subject.human_friendly


def test_one_changed_byte_in_the_signed_content_breaks_it(signed: bytes, pair: tuple[str, str]) -> None:
    marker = signed.index(b"/Title")  # inside the signed byte range (the document info)
    tampered = bytearray(signed)
    tampered[marker + 9] ^= 0x01
    _, status = _status(bytes(tampered), pair[1])
    assert not status.intact
    assert not status.bottom_line


def test_untrusted_signer_is_reported_as_such(signed: bytes) -> None:
    _, other_cert = make_self_signed("另一个签名人")
    _, status = _status(signed, other_cert)
    assert status.intact and status.valid  # the bytes are sound...
    assert not status.trusted  # ...but not from the configured signer


def test_ecdsa_keys_sign_too(certificate: bytes) -> None:
    key, cert = make_self_signed("ECDSA 签名测试", algorithm="ec")
    _, status = _status(sign_pdf(certificate, key, cert), cert)
    assert status.intact and status.valid and status.trusted


def test_garbage_key_is_a_signing_error(certificate: bytes, pair: tuple[str, str]) -> None:
    with pytest.raises(SigningFailed):
        sign_pdf(certificate, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", pair[1])


@pytest.mark.parametrize("algorithm", ["rsa", "ec"])
def test_the_cms_template_reproduces_pyhankos_own_container(algorithm: str) -> None:
    import asyncio
    import hashlib

    from chalicelib.cert.signing import _signer

    key, cert = make_self_signed(f"模板 {algorithm}", algorithm=algorithm)
    signer = _signer(key, cert)
    digest = hashlib.sha256(b"a document").digest()
    ours = asyncio.run(signer.async_sign(digest, "sha256", use_pades=True))
    assert signer._templates["sha256"] is not None  # the fast path was taken, not the fallback
    theirs = asyncio.run(signers.Signer.async_sign(signer, digest, "sha256", use_pades=True))
    if algorithm == "rsa":  # PKCS#1 v1.5 is deterministic: the very same bytes
        assert ours.dump() == theirs.dump()
    else:  # ECDSA signatures are randomised: all but the signature value is the same
        mine, other = ours["content"]["signer_infos"][0], theirs["content"]["signer_infos"][0]
        assert mine["signed_attrs"].dump() == other["signed_attrs"].dump()
        assert ours["content"]["certificates"].dump() == theirs["content"]["certificates"].dump()
        assert mine["sid"].dump() == other["sid"].dump()


def test_poppler_reports_the_signature_valid_over_the_whole_document(signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report


def test_our_certificates_are_signed_without_pyhanko_rewriting_them(certificate: bytes, signed: bytes) -> None:
    from datetime import datetime, timezone

    from chalicelib.cert import incremental

    assert incremental.prepare(certificate, field_name=SIGNATURE_FIELD, reason="r", location="",
                               signed_at=datetime.now(timezone.utc), reserved=64) is not None
    assert b"/Producer (pyHanko" not in signed  # pyHanko's writer would have updated the info


def test_a_pdf_of_another_shape_is_signed_by_pyhanko_and_validates(pair: tuple[str, str]) -> None:
    from datetime import datetime, timezone

    from fpdf import FPDF

    from chalicelib.cert import incremental

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(40, 10, "link", link="https://example.com")  # a page with annotations already
    other = bytes(pdf.output())
    assert incremental.prepare(other, field_name=SIGNATURE_FIELD, reason="r", location="",
                               signed_at=datetime.now(timezone.utc), reserved=64) is None
    signed_other = sign_pdf(other, *pair)
    assert b"/Producer (pyHanko" in signed_other
    _, status = _status(signed_other, pair[1])
    assert status.intact and status.valid and status.trusted and status.docmdp_ok

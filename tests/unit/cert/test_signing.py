"""PAdES signing: the signature validates with pyHanko, and one changed byte breaks it."""

from __future__ import annotations

from io import BytesIO

import pytest
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
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

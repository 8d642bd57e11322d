"""PAdES signatures on certificates (tamper evidence), with pyHanko.

Why it exists: a printed certificate is checked through its QR code; the PDF file itself can be
checked by its signature: any change to the signed bytes breaks it, and PDF readers show who
signed. We sign with pyHanko (PAdES baseline B, SHA-256, a certification signature that allows
no later changes), not fpdf2's own signing, whose signatures pyHanko cannot validate.

Key and certificate come from configuration (`SIGNING_KEY_PEM` / `SIGNING_CERT_PEM`, PEM text;
the certificate may be followed by its chain). The local stack generates a self-signed pair at
start with `make_self_signed`. Signing is meant to happen once per cached certificate: the
signature embeds the signing time, so signed output is not byte-stable (the unsigned render is).

Speed: pyHanko's `SimpleSigner` re-parses the private key for every signature, twice (size
estimate and real signature); for RSA keys `cryptography` then re-validates the key, ~100 ms each
time. We implement pyHanko's documented extension point instead (a `Signer` subclass providing
`async_sign_raw`) around a key parsed once per process, so a signature costs a few milliseconds.

pyHanko is heavy to import (~0.5 s); this module is imported only where signing happens, never
by the renderer.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from io import BytesIO
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from chalicelib.errors import AppError

SIGNATURE_FIELD = "CertificateSignature"
REASON = "中国注册会计师协会非执业会员电子证书"


class SigningFailed(AppError):
    status, code, message = 500, "SIGNING_FAILED", "证书签名失败"


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


class _LoadedKeySigner(signers.Signer):
    """A pyHanko signer around a `cryptography` private key parsed once (RSA PKCS#1 v1.5 or ECDSA)."""

    def __init__(self, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, certs: list) -> None:
        super().__init__(signing_cert=certs[0], cert_registry=SimpleCertificateStore.from_certs(certs))
        self._key = key
        # Room for the CMS container: the embedded certificates, the raw signature and ~1 KB of
        # signed attributes, with margin. Reserving it up front spares pyHanko a full dry-run
        # signature per document to estimate it; `sign_pdf` falls back to that if it falls short.
        # (pyHanko counts the reservation in hex digits: two per byte.)
        self.bytes_reserved = 2 * (sum(len(c.dump()) for c in certs) + key.key_size // 8 + 1536)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        algorithm = _HASHES[digest_algorithm.lower()]()
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pss":  # an RSASSA-PSS certificate: not what we produce below
            raise SigningFailed("不支持 RSASSA-PSS 签名证书")
        if isinstance(self._key, rsa.RSAPrivateKey):
            if dry_run:  # the size is all the estimate needs
                return bytes(self._key.key_size // 8)
            return self._key.sign(data, padding.PKCS1v15(), algorithm)
        # ECDSA: DER-encoded (r, s), as CMS expects; real signing for the size (it varies by a byte)
        return self._key.sign(data, ec.ECDSA(algorithm))


@lru_cache(maxsize=4)
def _signer(key_pem: str, cert_pem: str) -> _LoadedKeySigner:
    """A signer per key pair; parsing PEM and building the registry once per process."""
    certs = list(load_certs_from_pemder_data(cert_pem.encode("ascii")))
    if not certs:
        raise SigningFailed("签名证书配置有误")
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise SigningFailed("签名密钥类型不受支持（需要 RSA 或 ECDSA）")
    return _LoadedKeySigner(key, certs)


_lock = threading.Lock()


def sign_pdf(pdf: bytes, key_pem: str, cert_pem: str, *, location: str = "") -> bytes:
    """`pdf` with an invisible PAdES certification signature appended (incremental update)."""
    try:
        signer = _signer(key_pem, cert_pem)
    except SigningFailed:
        raise
    except Exception as exc:  # malformed PEM, unsupported key
        raise SigningFailed("签名密钥或证书无法读取") from exc
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=REASON,
        location=location or None,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    # pyHanko runs each signature in its own event loop; serialise, signing takes a few ms.
    with _lock:
        for reserved in (signer.bytes_reserved, None):
            out = BytesIO()
            writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
            try:
                signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out, bytes_reserved=reserved)
            except SigningError:
                if reserved is None:
                    raise
                continue  # the reservation was too small (unusual chain): let pyHanko estimate
            return out.getvalue()
    raise SigningFailed()


def make_self_signed(common_name: str, *, days: int = 3650, algorithm: str = "rsa") -> tuple[str, str]:
    """(private key PEM, certificate PEM) of a fresh self-signed document-signing pair.

    `algorithm`: "rsa" (RSA-2048, the default: every PDF reader verifies it) or "ec" (P-256).
    For the local stack and tests only: a deployed stage configures a certificate from a CA.
    """
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(f"unknown key algorithm {algorithm!r}")
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "中国注册会计师协会（本地测试）"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

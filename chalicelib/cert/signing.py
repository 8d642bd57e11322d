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
`async_sign_raw`) around a key parsed once per process. Building the CMS container with
asn1crypto then dominated (~20 ms of ~25): `_CmsTemplate` cuts it once per key pair from a
container pyHanko built and fills in the digest and signature per document. pyHanko's own
incremental update (parse the PDF, rewrite catalog and page through its object model, ~4 ms)
is replaced for our renderer's PDFs by `incremental`, which writes the same update as text;
any other PDF is signed through pyHanko as before. A signature costs ~1.5 ms of CPU, most of
it the RSA operation.

pyHanko is heavy to import (~0.5 s); this module is imported only where signing happens, never
by the renderer.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from io import BytesIO
from typing import Any, Callable

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko_certvalidator.registry import SimpleCertificateStore

from chalicelib.cert import incremental
from chalicelib.errors import AppError

SIGNATURE_FIELD = "CertificateSignature"
REASON = "中国注册会计师协会非执业会员电子证书"


class SigningFailed(AppError):
    status, code, message = 500, "SIGNING_FAILED", "证书签名失败"


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


def _der(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _digest_of(algorithm: str, data: bytes) -> bytes:
    digest = hashes.Hash(_HASHES[algorithm]())
    digest.update(data)
    return digest.finalize()


# The signed attributes a PAdES signature of ours carries; anything else (a signing time, CAdES
# extras, revocation info) would be per-signature content that a template cannot hold.
_TEMPLATE_ATTRS = {"content_type", "message_digest", "signing_certificate_v2", "cms_algorithm_protection"}


@dataclass(frozen=True)
class _CmsTemplate:
    """A CMS SignedData of one signer, as DER pieces around the two things that change per PDF.

    Why: building the container with asn1crypto objects (attributes, signer info, certificate
    set) and serialising them costs about 80 % of a signature (~20 ms), yet for one key pair
    everything in it is the same every time except the document digest (inside the signed
    attributes, at a fixed place and of fixed length) and the raw signature. The pieces are cut
    from a container pyHanko built itself, so the structure stays pyHanko's: with RSA PKCS#1 v1.5
    (deterministic) the result is byte-identical to pyHanko's own for the same digest.
    """

    digest_size: int
    attrs_head: bytes  # the signed attributes (as the SET that is signed) before the digest
    attrs_tail: bytes  # ... after it
    info_head: bytes  # SignerInfo content before the signed attributes (version, sid, digest alg.)
    info_tail: bytes  # ... between them and the signature (the signature algorithm)
    data_head: bytes  # SignedData content before the signer infos (version, algorithms, certificates)
    content_type: bytes  # the ContentInfo's content type (signedData), DER

    @classmethod
    def of(cls, reference: cms.ContentInfo, probe: bytes) -> _CmsTemplate | None:
        """The template of `reference`, signed over digest `probe`; None if it does not fit one."""
        signed_data = reference["content"]
        infos = signed_data["signer_infos"]
        if len(infos) != 1:
            return None
        info = infos[0]
        attrs = info["signed_attrs"]
        if {a["type"].native for a in attrs} - _TEMPLATE_ATTRS or info["unsigned_attrs"].native is not None:
            return None
        signed = attrs.untag().dump()  # the SET OF form, which is what the signature covers
        if signed.count(probe) != 1:
            return None
        at = signed.index(probe)
        implicit, signature = attrs.dump(), info["signature"].dump()
        body = info.contents
        if not body.endswith(signature) or body.count(implicit) != 1 or signed[1:] != implicit[1:]:
            return None
        info_head, rest = body.split(implicit)
        info_tail = rest[: len(rest) - len(signature)]
        infos_der = infos.dump()
        if not signed_data.contents.endswith(infos_der):
            return None
        template = cls(
            digest_size=len(probe), attrs_head=signed[:at], attrs_tail=signed[at + len(probe):],
            info_head=info_head, info_tail=info_tail,
            data_head=signed_data.contents[: len(signed_data.contents) - len(infos_der)],
            content_type=reference["content_type"].dump(),
        )
        rebuilt = template.container(signed, info["signature"].native)
        return template if rebuilt == reference.dump(force=False) else None

    def signed_attrs(self, digest: bytes) -> bytes:
        """The DER signed attributes (SET OF) for a document `digest`: the bytes to sign."""
        return self.attrs_head + digest + self.attrs_tail

    def container(self, signed_attrs: bytes, signature: bytes) -> bytes:
        """The DER ContentInfo holding `signature` over `signed_attrs`."""
        implicit = b"\xa0" + signed_attrs[1:]  # [0] IMPLICIT in SignerInfo, same length and content
        info = _der(0x30, self.info_head + implicit + self.info_tail + _der(0x04, signature))
        signed_data = _der(0x30, self.data_head + _der(0x31, info))
        return _der(0x30, self.content_type + _der(0xA0, signed_data))


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
        self._templates: dict[str, _CmsTemplate | None] = {}

    async def async_sign(  # the parameters of pyHanko's, by name
        self, data_digest: bytes, digest_algorithm: str, dry_run: bool = False, use_pades: bool = False,
        timestamper: Any = None, signed_attr_settings: PdfCMSSignedAttributes | None = None,
        is_pdf_sig: bool = True, encap_content_info: Any = None,
    ) -> cms.ContentInfo:
        """pyHanko's CMS container, filled into a template of our own signature (see `_CmsTemplate`)."""
        plain = (use_pades and is_pdf_sig and timestamper is None and encap_content_info is None
                 and self.unsigned_attr_prov_spec is None and self.signed_attr_prov_spec is None
                 and (signed_attr_settings is None or (signed_attr_settings.cades_signed_attrs is None
                                                       and signed_attr_settings.adobe_revinfo_attr is None)))
        template = await self._template(digest_algorithm.lower()) if plain else None
        if template is None or len(data_digest) != template.digest_size:
            return await super().async_sign(
                data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades, timestamper=timestamper,
                signed_attr_settings=signed_attr_settings, is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info)
        attrs = template.signed_attrs(data_digest)
        signature = await self.async_sign_raw(attrs, digest_algorithm.lower(), dry_run)
        return cms.ContentInfo.load(template.container(attrs, signature))

    async def _template(self, digest_algorithm: str) -> _CmsTemplate | None:
        if digest_algorithm not in self._templates:
            probe = bytes(range(1, 1 + len(_digest_of(digest_algorithm, b""))))
            reference = await super().async_sign(probe, digest_algorithm, use_pades=True,
                                                 signed_attr_settings=PdfCMSSignedAttributes())
            self._templates[digest_algorithm] = _CmsTemplate.of(reference, probe)
        return self._templates[digest_algorithm]

    def container(self, digest: bytes, digest_algorithm: str) -> bytes | None:
        """The DER CMS container signing a document `digest`, without pyHanko's event loop; None
        where the template does not apply (pyHanko then signs)."""
        if digest_algorithm not in self._templates:
            asyncio.run(self._template(digest_algorithm))
        template = self._templates[digest_algorithm]
        if template is None or len(digest) != template.digest_size:
            return None
        attrs = template.signed_attrs(digest)
        return template.container(attrs, self._sign_raw(attrs, digest_algorithm, dry_run=False))

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self._sign_raw(data, digest_algorithm, dry_run)

    def _sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool) -> bytes:
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
        appended = _sign_appended(pdf, signer, location)
        if appended is not None:
            return appended
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


def _sign_appended(pdf: bytes, signer: _LoadedKeySigner, location: str) -> bytes | None:
    """The signature written by `incremental` (our renderer's PDFs); None for any other PDF."""
    prepared = incremental.prepare(pdf, field_name=SIGNATURE_FIELD, reason=REASON, location=location,
                                   signed_at=datetime.now(timezone.utc), reserved=signer.bytes_reserved)
    if prepared is None:
        return None
    container = signer.container(prepared.digest(hashes.SHA256()), "sha256")
    return prepared.fill(container) if container is not None else None


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

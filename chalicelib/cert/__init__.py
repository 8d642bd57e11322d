"""Certificates of non-practising members: layout and rendering, verification codes, signing, bulk.

The layout, rendering, codes, signing and ZIP writing are pure (no AWS, no HTTP); `service` and
`routes` put them to use with the members room's records and the room's storage, `repository`
(the cache of signed certificates and the associations' seals); the bulk-certificate job
(`chalicelib/jobs/kinds.py`) writes the ZIP. The pure API below is imported lazily so that
importing this package (for example from `routes.py`) costs nothing until a name is used; the
renderer pulls in fpdf2 (~0.4 s) and signing pulls in pyHanko (~0.5 s), and each is paid only by
code that needs it:

    render_certificate(data, photo, issued_on, *, qr_url, seal=None, creation_date=None) -> bytes
    CertificateData(name, gender, birth_date, member_no, approval_date, approval_doc_no,
                    association_name)
    sample_seal(association_name) -> bytes                       # PNG, marked 样章 / SAMPLE 示例
    sign_code(key, member_no, issued_on) -> str                  # 24 chars, base32
    read_code(key, member_no, code) -> date | None               # the issue date, if genuine
    verification_url(site_url, member_no, code) -> str           # <site>/verify/?no=…&c=…
    sign_pdf(pdf, key_pem, cert_pem) -> bytes                    # PAdES, pyHanko
    make_self_signed(common_name) -> (key_pem, cert_pem)
    write_zip(items, out, *, total=None, progress=None)          # ZIP of PDFs + a report

Errors are `chalicelib.errors.AppError` subclasses: `GlyphMissing` (422 GLYPH_MISSING, names
the characters), `PhotoInvalid` (422), `CertificateDataInvalid` (422), `SigningFailed` (500).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CertificateData": "render",
    "CertificateDataInvalid": "render",
    "PhotoInvalid": "render",
    "render_certificate": "render",
    "format_date": "render",
    "LAYOUT_VERSION": "render",
    "GlyphMissing": "fontpack",
    "sample_seal": "seal",
    "sign_code": "codes",
    "read_code": "codes",
    "verification_url": "codes",
    "sign_pdf": "signing",
    "make_self_signed": "signing",
    "SigningFailed": "signing",
    "write_zip": "bulk",
    "BulkSuccess": "bulk",
    "BulkFailure": "bulk",
    "BulkSummary": "bulk",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

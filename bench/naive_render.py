"""The benchmark's baseline: the certificate rendered the straightforward way, adding the full
bundled fonts to each document instead of cached subsets. Same page, much slower; kept out of
the production package because only the benchmark and its test use it."""

from __future__ import annotations

from datetime import date, datetime

from fpdf import FPDF

from chalicelib.cert.fontpack import BODY_FONT, DISPLAY_FONT
from chalicelib.cert.render import BODY, DISPLAY, CertificateData, _render


def naive_fonts(pdf: FPDF, body_text: str, display_text: str) -> None:
    pdf.add_font(BODY, fname=str(BODY_FONT))
    pdf.add_font(DISPLAY, fname=str(DISPLAY_FONT))


def render_certificate_naive(data: CertificateData, photo: bytes, issued_on: date, *, qr_url: str,
                             seal: bytes | None = None, creation_date: datetime | None = None) -> bytes:
    return _render(data, photo, issued_on, qr_url=qr_url, seal=seal, creation_date=creation_date,
                   fonts=naive_fonts)

"""Fixtures of the certificate tests: a member, a photo, one rendered page shared per session.

PDF inspection goes through poppler-utils (`pdftotext`, `pdftoppm`), independent of fpdf2, and
QR decoding through zxing-cpp; nothing here needs AWS.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image

from chalicelib.cert.codes import sign_code, verification_url
from chalicelib.cert.render import BEIJING, CertificateData, render_certificate

ROOT = Path(__file__).resolve().parents[3]
PHOTO = ROOT / "tests" / "fixtures" / "faces" / "spec_white" / "obama_01.jpg"
VERIFY_KEY = "cert-test-verify-key-0123456789abcdef"
SITE = "https://ecert.example.com"
ISSUED = date(2024, 3, 1)
CREATED = datetime(2024, 3, 1, 9, 30, tzinfo=BEIJING)

_MISSING = [tool for tool in ("pdftotext", "pdftoppm") if shutil.which(tool) is None]
if _MISSING:  # pragma: no cover
    raise RuntimeError(f"poppler-utils is required by the certificate tests ({', '.join(_MISSING)} not "
                       "found): install it with `make system-deps` (apt-get install poppler-utils)")


def pdf_text(pdf: bytes, *, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


def rasterise(pdf: bytes, dpi: int = 150) -> Image.Image:
    # no output root: pdftoppm writes the single page to stdout
    png = subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-"],
                         input=pdf, capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def member(**changes: object) -> CertificateData:
    fields: dict[str, object] = dict(
        name="张喆", gender="男", birth_date=date(1988, 5, 12), member_no="110000123456",
        approval_date=date(2015, 6, 30), approval_doc_no="京注协〔2015〕35号",
        association_name="北京注册会计师协会",
    )
    fields.update(changes)
    return CertificateData(**fields)  # type: ignore[arg-type]


def url_for(data: CertificateData, issued_on: date = ISSUED) -> str:
    return verification_url(SITE, data.member_no, sign_code(VERIFY_KEY, data.member_no, issued_on))


@pytest.fixture(scope="session")
def photo() -> bytes:
    return PHOTO.read_bytes()


@pytest.fixture(scope="session")
def certificate(photo: bytes) -> bytes:
    data = member()
    return render_certificate(data, photo, ISSUED, qr_url=url_for(data), creation_date=CREATED)

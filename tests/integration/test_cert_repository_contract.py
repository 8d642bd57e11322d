"""One contract for the certificate room's repository, run against the in-memory fake and
against moto's S3.

What the issuing rules rely on: a certificate never stored reads as None (render and sign it);
a stored one reads back byte for byte under its cache id, a repeat store overwrites, and ids do
not mix; a cache id is a hex digest, so nothing else in the bucket can be named through it; the
download link names the certificate, the file name and its lifetime; a seal reads as None until
uploaded, then as the uploaded PNG, per association.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.fakes import FakeCertificateRepository

ONE = hashlib.sha256(b"one").hexdigest()
TWO = hashlib.sha256(b"two").hexdigest()
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4


@pytest.fixture(params=["fake", "moto"])
def repo(request: Any) -> Any:
    if request.param == "fake":
        return FakeCertificateRepository()
    return request.getfixturevalue("aws").certificates  # the S3 version, as the wiring binds it


def test_a_certificate_never_stored_reads_as_none(repo: Any) -> None:
    assert repo.get_pdf(ONE) is None


def test_a_stored_certificate_reads_back_byte_for_byte_and_ids_do_not_mix(repo: Any) -> None:
    repo.put_pdf(ONE, PDF)
    assert repo.get_pdf(ONE) == PDF
    assert repo.get_pdf(TWO) is None
    repo.put_pdf(TWO, b"%PDF-other")
    assert repo.get_pdf(ONE) == PDF and repo.get_pdf(TWO) == b"%PDF-other"


def test_storing_again_overwrites(repo: Any) -> None:
    repo.put_pdf(ONE, b"%PDF-first")
    repo.put_pdf(ONE, b"%PDF-second")
    assert repo.get_pdf(ONE) == b"%PDF-second"


@pytest.mark.parametrize("bad", ["", "../seals/110000", "seals/110000.png", "ABC", ONE + "/x", "g" * 64])
def test_only_a_hex_digest_names_a_certificate(repo: Any, bad: str) -> None:
    with pytest.raises(ValueError):
        repo.get_pdf(bad)
    with pytest.raises(ValueError):
        repo.put_pdf(bad, PDF)
    with pytest.raises(ValueError):
        repo.pdf_link(bad, expires_in=300, filename="x.pdf")


def test_the_link_names_the_certificate_the_file_and_its_lifetime(repo: Any) -> None:
    repo.put_pdf(ONE, PDF)
    url = repo.pdf_link(ONE, expires_in=300, filename="110000000001.pdf")
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert unquote(parsed.path).endswith(f"{ONE}.pdf")
    assert "110000000001.pdf" in unquote(url)
    # signature version 4 names the lifetime, version 2 the moment it ends
    lifetime = int(query["X-Amz-Expires"]) if "X-Amz-Expires" in query else int(query["Expires"]) - time.time()
    assert 290 <= lifetime <= 300


def test_a_seal_reads_as_none_until_uploaded_then_per_association(repo: Any) -> None:
    assert repo.get_seal("110000") is None
    repo.put_seal("110000", b"\x89PNG-beijing")
    repo.put_seal("310000", b"\x89PNG-shanghai")
    assert repo.get_seal("110000") == b"\x89PNG-beijing" and repo.get_seal("310000") == b"\x89PNG-shanghai"
    repo.put_seal("110000", b"\x89PNG-new")
    assert repo.get_seal("110000") == b"\x89PNG-new"

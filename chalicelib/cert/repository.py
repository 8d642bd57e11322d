"""The certificate room's storage, behind one small interface, so the issuing rules can run
against an in-memory fake (tests/fakes.py) as well as S3.

What the room stores:
- the cache of rendered, signed certificates: one PDF per issue, named by a cache id (the hash
  of the printed content and the issue date, computed by `cert.service`), so every download of
  the same issue is the same file, signed once. A missing entry is not an error: the caller
  renders and signs again (the bucket also expires old entries);
- each association's electronic seal (a PNG), uploaded by operators.

Both live in the private photo bucket, under `certificates/` and `seals/`, through the bucket
adapter (`chalicelib.storage.PhotoStore`), so an unreachable bucket is the same 503 as for
photos. The wiring (`bootstrap.Deps.certificates`) binds the S3 version.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.storage import PhotoStore

CERT_PREFIX = "certificates/"
SEAL_PREFIX = "seals/"
# A cache id is a hex digest: nothing a caller passes can name another object in the bucket.
_CACHE_ID = re.compile(r"^[0-9a-f]{16,128}$")


class CertificateRepository(Protocol):
    def get_pdf(self, cache_id: str) -> bytes | None:
        """The cached certificate, or None when it was never stored (or has expired)."""
        ...

    def put_pdf(self, cache_id: str, pdf: bytes) -> None:
        """Store a rendered, signed certificate under its cache id (a repeat overwrites)."""
        ...

    def pdf_link(self, cache_id: str, *, expires_in: int, filename: str) -> str:
        """A short-lived download link to a cached certificate, saved as `filename`."""
        ...

    def get_seal(self, association: str) -> bytes | None:
        """The association's seal (PNG), or None when none has been uploaded."""
        ...

    def put_seal(self, association: str, png: bytes) -> None:
        """Store (or replace) the association's seal."""
        ...


def check_cache_id(cache_id: str) -> str:
    if not _CACHE_ID.match(cache_id):
        raise ValueError("not a certificate cache id")
    return cache_id


def pdf_key(cache_id: str) -> str:
    return f"{CERT_PREFIX}{check_cache_id(cache_id)}.pdf"


def seal_key(association: str) -> str:
    return f"{SEAL_PREFIX}{association}.png"


class S3CertificateRepository:
    """The certificate cache and the seals in the photo bucket."""

    def __init__(self, bucket: PhotoStore) -> None:
        self._bucket = bucket

    def get_pdf(self, cache_id: str) -> bytes | None:
        stored = self._bucket.get(pdf_key(cache_id))
        return stored.body if stored is not None else None

    def put_pdf(self, cache_id: str, pdf: bytes) -> None:
        self._bucket.put(pdf_key(cache_id), pdf, content_type="application/pdf")

    def pdf_link(self, cache_id: str, *, expires_in: int, filename: str) -> str:
        return self._bucket.presigned_get(pdf_key(cache_id), expires_in=expires_in, filename=filename)

    def get_seal(self, association: str) -> bytes | None:
        stored = self._bucket.get(seal_key(association))
        return stored.body if stored is not None else None

    def put_seal(self, association: str, png: bytes) -> None:
        self._bucket.put(seal_key(association), png, content_type="image/png")

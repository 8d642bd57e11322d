"""Give moto's request dispatch and S3 the cost model of S3, for the local stack, the tests and the benchmarks.

A bulk certificate job makes three storage calls per certificate (the photo read, the PDF
written, the issue recorded), so whatever moto does per request beyond what the service would
do is paid once per certificate, on the same cores as the application. Two such costs:

- **The S3 URL table, rebuilt per request.** To find the handler of a request, moto asks the S3
  backend for its URL patterns, and the S3 backend *reloads its `urls` module* (re-executes
  it) on every request, because the patterns may include custom endpoints named in an
  environment variable; then it formats every pattern again. S3 routes a request without
  rebuilding anything. Here the table is built once per value of the variables it reads
  (`MOTO_S3_CUSTOM_ENDPOINTS`, `MOTO_ENABLE_ISO_REGIONS`) and reused while they are unchanged:
  the same patterns, the same handlers, in the same order.
- **Every backend's URL table.** The other services (DynamoDB, SQS, ...) rebuild theirs from
  their (static) `urls` module on each request too; the same cache serves them, keyed the same
  way. Backends that compute their URL table themselves are left alone.

- **Path or virtual-host style, decided five times per request.** moto's S3 asks up to five
  times per request whether the bucket is named in the host, each time running a dozen regular
  expressions over the host name. The answer depends only on the host and two settings; here it
  is kept per (host, settings).

Nothing here changes what a request returns (tests/integration/core/test_moto_s3.py compares
bodies, ETags, metadata, versions, ranges, presigned GET and POST and listings with and without
the fit); it only removes work S3 does not do. The local stack, the test suite and the benchmarks
all apply it through `devstack.fits.fit_moto()`.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
import weakref
from typing import Any, Callable, Iterator

_FITTED: list[bool] = []
_STOCK: dict[str, Any] = {}  # moto's own `BaseBackend.urls`, for `unfitted`
# The environment variables moto's URL tables depend on (moto.settings reads them per call).
_URL_SETTINGS = ("MOTO_S3_CUSTOM_ENDPOINTS", "MOTO_ENABLE_ISO_REGIONS")
_URL_TABLES: dict[tuple[Any, ...], dict[str, Callable[..., Any]]] = {}


def fit_s3() -> None:
    """Idempotent: serve moto's URL tables from a cache (see the module docstring)."""
    if _FITTED:
        return
    _install_url_cache()
    _install_addressing_cache()
    _install_large_objects()
    _FITTED.append(True)


def _install_url_cache() -> None:
    from moto.core.base_backend import BaseBackend

    stock = BaseBackend.urls  # the property of moto's BaseBackend
    _STOCK["urls"] = stock

    def urls(self: BaseBackend) -> dict[str, Callable[..., Any]]:
        key = (type(self), *(os.environ.get(name) for name in _URL_SETTINGS))
        table = _URL_TABLES.get(key)
        if table is None:
            table = stock.fget(self)  # type: ignore[attr-defined]
            _URL_TABLES[key] = table
        return dict(table)  # a copy: a caller that edits it cannot change the next request's

    urls.__doc__ = stock.__doc__
    # Only the classes that inherit moto's own property: a backend with its own `urls` keeps it.
    BaseBackend.urls = property(urls)  # type: ignore[assignment,method-assign]


_ADDRESSING: dict[tuple[Any, ...], bool] = {}


def _host(request: Any) -> str:
    """The host moto's S3 reads a request's addressing style from (the same derivation)."""
    from urllib.parse import urlparse

    return request.headers.get("host", request.headers.get("Host")) or urlparse(request.url).netloc


def _install_addressing_cache() -> None:
    from moto import settings
    from moto.s3.responses import S3Response

    stock = S3Response.__dict__["subdomain_based_buckets"].__func__
    _STOCK["subdomain_based_buckets"] = S3Response.__dict__["subdomain_based_buckets"]

    def subdomain_based_buckets(request: Any) -> bool:
        key = (settings.S3_IGNORE_SUBDOMAIN_BUCKETNAME, _host(request), os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS"))
        answer = _ADDRESSING.get(key)
        if answer is None:
            answer = _ADDRESSING[key] = bool(stock(request))
        return answer

    S3Response.subdomain_based_buckets = staticmethod(subdomain_based_buckets)  # type: ignore[method-assign]


def stock_subdomain_based_buckets(request: Any) -> bool:
    """moto's own answer (for tests)."""
    from moto.s3.responses import S3Response

    found = _STOCK.get("subdomain_based_buckets") or S3Response.__dict__["subdomain_based_buckets"]
    return bool(found.__func__(request))


def stock_urls(backend: Any) -> dict[str, Callable[..., Any]]:
    """`backend`'s URL table as moto itself computes it (for tests)."""
    if not _STOCK:
        return dict(backend.urls)
    return dict(_STOCK["urls"].fget(backend))


class _FullObjectChecksum:
    """moto's `MultipartChecksumBuilder` for a FULL_OBJECT checksum (the default, CRC64NVME),
    computed part by part instead of over a copy of the whole object: the same value."""

    def __init__(self, algorithm: str) -> None:
        import binascii
        import hashlib

        from moto.core.compat import HAS_CRT

        self.algorithm, self.part_count, self.value = algorithm, 0, 0
        self.hash: Any = None
        self.width = 4
        if algorithm in ("SHA1", "SHA256") or algorithm not in ("CRC32", "CRC32C", "CRC64NVME"):
            self.hash = hashlib.new("sha1" if algorithm == "SHA1" else "sha256", usedforsecurity=False)
            self.update: Callable[[bytes], None] = self.hash.update
            return
        crc: Callable[[bytes, int], int] = binascii.crc32
        if algorithm == "CRC64NVME" and HAS_CRT:
            from awscrt import checksums

            crc, self.width = checksums.crc64nvme, 8
        elif algorithm == "CRC32C":
            try:
                import crc32c  # type: ignore[import-not-found]

                crc = crc32c.crc32c
            except ImportError:  # moto falls back to CRC32 the same way
                pass
        self.update = lambda part: setattr(self, "value", crc(part, self.value))

    def addPart(self, part: bytes) -> None:  # noqa: N802 (moto's name)
        self.update(part)
        self.part_count += 1

    def build(self) -> tuple[str, str, int]:
        import base64

        digest = self.hash.digest() if self.hash is not None else self.value.to_bytes(self.width, "big")
        return "FULL_OBJECT", base64.b64encode(digest).decode(), 1


class _Chain(io.RawIOBase):
    """The parts of a completed multipart upload read as one file, in the order the completion
    named them: the new key's file, taken over from the parts instead of copied (S3 completes an
    upload without copying it either). Read-only; the key's value setter gives a key a file of
    its own again before anything is written to it."""

    def __init__(self, files: list[Any]) -> None:
        super().__init__()
        self.segments: list[tuple[Any, int, int]] = []  # (file, its size, offset in the object)
        self.size = 0
        for file in files:
            length = file.seek(0, io.SEEK_END)
            self.segments.append((file, length, self.size))
            self.size += length
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        for file, length, start in self.segments:
            if done == len(view) or self.position >= self.size:
                break
            if not start <= self.position < start + length:
                continue
            file.seek(self.position - start)
            want = min(len(view) - done, start + length - self.position)
            got = file.readinto(view[done:done + want])
            if not got:
                break
            done += got
            self.position += got
        return done

    def read_whole(self) -> bytearray:
        """The whole object in one buffer, read straight from the parts' files (a `read()`
        would first gather the parts and then join them: twice the object)."""
        whole = bytearray(self.size)
        self.seek(0)
        got = 0
        while got < self.size:
            step = self.readinto(memoryview(whole)[got:])
            if not step:
                break
            got += step
        return whole

    def close(self) -> None:
        if not self.closed:
            for file, _, _ in self.segments:
                file.close()
        super().close()


class _Joined:
    """What the fitted `complete` hands to `put_object` instead of the joined bytes: the parts'
    own files, taken from the parts (each part gets an empty file for moto to close when it
    disposes of the upload). The key's value setter adopts them as one `_Chain`."""

    def __init__(self, parts: list[Any]) -> None:
        files: dict[int, Any] = {}
        for part in parts:
            if id(part) not in files:  # a part named twice is read twice from one file
                with part.lock:
                    files[id(part)] = part._value_buffer
                    part._value_buffer = tempfile.SpooledTemporaryFile(part._max_buffer_size)
        self.chain = _Chain([files[id(part)] for part in parts])

    def __len__(self) -> int:
        return self.chain.size


class _Streamed:
    """The body of a GET of a whole assembled object, sent by the moto server a slice at a time
    (the server's WSGI layer streams an iterable body under the Content-Length moto sets). As
    bytes, a ~5 GB bulk ZIP would be read whole into the server's memory for each download."""

    SLICE = 1024 * 1024

    def __init__(self, key: Any) -> None:
        self.key, self.size = key, key.contentsize

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        position = 0
        while position < self.size:
            with self.key.lock:  # other requests read the same file: seek and read together
                chain = self.key._value_buffer
                chain.seek(position)
                piece = chain.read(min(self.SLICE, self.size - position))
            if not piece:
                return
            position += len(piece)
            yield piece


_STREAMING = threading.local()  # set while the server answers a GET of a whole object


def _install_large_objects() -> None:
    """An assembled multipart upload takes over its parts' files: nothing is copied.

    moto completes a multipart upload by appending every part to a growing buffer, appending it
    again to a second one for the whole-object checksum (CRC64NVME by default), copying both,
    and storing the result in a `SpooledTemporaryFile`, which writes into memory first and only
    then moves it to disk. An object of Z bytes then briefly costs ~4 Z of memory: the ~5 GB ZIP
    of a 60,000-member bulk job made the local stack's moto server run out of memory on a 24 GB
    machine. Copying it instead into the key's file one part at a time took longer than the
    client's read timeout, so the SDK sent the completion again while it ran, and the attempt
    that finished first disposed of the parts under the other.

    Here the checksum is computed part by part, the new key reads the parts' files in order
    (`_Chain`), and the completions of one upload run one at a time: a retried completion waits
    for the one running and then gets its answer, as S3 answers a completion repeated after
    success. In the server, a GET of such a whole object is streamed from the parts' files
    (`_Streamed`); ranges, copies and an in-process mock get bytes, as from moto. The same ETag,
    checksum and bytes, and the same refusals (tests/integration/core/test_moto_s3.py)."""
    import codecs

    from moto.s3 import models
    from moto.s3.responses import S3Response

    stock_complete = models.FakeMultipart.complete
    stock_value = models.FakeKey.value
    stock_complete_upload = models.S3Backend.complete_multipart_upload
    stock_get_object = S3Response.get_object
    _STOCK["complete"], _STOCK["value"] = stock_complete, stock_value
    _STOCK["complete_upload"], _STOCK["get_object"] = stock_complete_upload, stock_get_object

    def complete(self: Any, body: Any) -> tuple[Any, str, Any]:
        algorithm = self.metadata.get("x-amz-checksum-algorithm")
        kind = self.metadata.get("x-amz-checksum-type")
        builder: Any = models.MultipartChecksumBuilder(algorithm, kind)
        if builder.checksum_type != "COMPOSITE":
            builder = _FullObjectChecksum(builder.checksum_algorithm)
        md5s = bytearray()
        chosen: list[Any] = []
        for number, etag in body:
            part = self.parts.get(number)
            part_etag = None
            if part is not None:
                part_etag = part.etag.replace('"', "")
                etag = etag.replace('"', "")
            if part is None or part_etag != etag:
                raise models.InvalidPart()
            if chosen and chosen[-1].contentsize < models.S3_UPLOAD_PART_MIN_SIZE:
                raise models.EntityTooSmall()
            md5s.extend(codecs.decode(part_etag, "hex"))
            chosen.append(part)
        if not chosen:
            raise models.MalformedXML
        for part in chosen:
            builder.addPart(part.value)  # one part read at a time
        full_etag = models.md5_hash()
        full_etag.update(bytes(md5s))
        return _Joined(chosen), f"{full_etag.hexdigest()}-{len(chosen)}", builder.build()

    def get_value(self: Any) -> Any:
        buffer = self._value_buffer
        if isinstance(buffer, _Chain):
            if getattr(_STREAMING, "on", False):
                return _Streamed(self)
            with self.lock:
                return bytes(buffer.read_whole())  # bytes, as moto's callers expect
        return stock_value.fget(self)

    def get_object(self: Any) -> Any:
        from flask import has_request_context, request

        # Only in the server (a test's in-process mock wants bytes), and never for a range or a
        # part: moto cuts those out of the bytes.
        whole = has_request_context() and not request.headers.get("range") and "partNumber" not in request.args
        _STREAMING.on = whole
        try:
            return stock_get_object(self)
        finally:
            _STREAMING.on = False

    def set_value(self: Any, new_value: Any) -> None:
        buffer = self._value_buffer
        if isinstance(new_value, _Joined):
            buffer.close()  # a new key's empty file (FakeKey sets its value while it is built)
            self._value_buffer = new_value.chain
            self.contentsize = len(new_value)
            return
        if isinstance(buffer, _Chain):  # written to again: a file of its own, as moto gives a key
            buffer.close()
            buffer = self._value_buffer = tempfile.SpooledTemporaryFile(self._max_buffer_size)
        limit = getattr(buffer, "_max_size", 0)
        if limit and len(new_value) > limit and not getattr(buffer, "_rolled", True):
            buffer.seek(0)
            buffer.truncate()
            buffer.rollover()
        stock_value.fset(self, new_value)

    def complete_multipart_upload(self: Any, bucket_name: str, multipart_id: str, body: Any) -> Any:
        with _COMPLETING:  # one at a time: a completion here is seconds, even for gigabytes
            key = _COMPLETED.get(multipart_id)
            if key is not None and multipart_id not in self.get_bucket(bucket_name).multiparts:
                return key  # completed while this request waited: the same answer
            key = stock_complete_upload(self, bucket_name, multipart_id, body)
            if key is not None:
                _COMPLETED[multipart_id] = key
            return key

    models.FakeMultipart.complete = complete  # type: ignore[method-assign]
    models.FakeKey.value = property(get_value, set_value, stock_value.fdel,  # type: ignore[method-assign]
                                    stock_value.__doc__)
    models.S3Backend.complete_multipart_upload = complete_multipart_upload  # type: ignore[method-assign]
    S3Response.get_object = get_object  # type: ignore[method-assign]


_COMPLETING = threading.Lock()
_COMPLETED: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()  # upload id: its key


@contextlib.contextmanager
def unfitted() -> Iterator[None]:
    """moto's own URL tables, addressing and multipart completion while the block runs (tests
    compare answers with and without)."""
    from moto.core.base_backend import BaseBackend

    if not _STOCK:
        yield
        return
    from moto.s3.models import FakeKey, FakeMultipart, S3Backend
    from moto.s3.responses import S3Response

    fitted = (BaseBackend.urls, S3Response.__dict__["subdomain_based_buckets"], FakeMultipart.complete,
              FakeKey.value, S3Backend.complete_multipart_upload, S3Response.get_object)
    BaseBackend.urls = _STOCK["urls"]  # type: ignore[method-assign]
    S3Response.subdomain_based_buckets = _STOCK["subdomain_based_buckets"]  # type: ignore[method-assign]
    FakeMultipart.complete = _STOCK["complete"]  # type: ignore[method-assign]
    FakeKey.value = _STOCK["value"]  # type: ignore[method-assign]
    S3Backend.complete_multipart_upload = _STOCK["complete_upload"]  # type: ignore[method-assign]
    S3Response.get_object = _STOCK["get_object"]  # type: ignore[method-assign]
    try:
        yield
    finally:
        (BaseBackend.urls, S3Response.subdomain_based_buckets, FakeMultipart.complete,  # type: ignore[method-assign]
         FakeKey.value, S3Backend.complete_multipart_upload, S3Response.get_object) = fitted


def url_table_cached(backend: Any) -> bool:
    """True if `backend`'s URL table is served from the cache (for tests)."""
    return any(key[0] is type(backend) for key in _URL_TABLES)

"""A write-only file that streams into an S3 multipart upload, with bounded memory.

Why it exists: a job's result can be far larger than a Lambda's /tmp (512 MB unless ephemeral
storage is configured) or its memory: the certificate ZIP of a 60,000-member association is
~6 GB. The writer keeps one part in a buffer; each time the buffer reaches the part size, the
part goes up on a small thread pool, so producing the file (reading PDFs, zipping) and uploading
it overlap, and at most `in_flight` parts wait in memory: memory stays below
(in_flight + 1) x part size whatever the file's size.

It cannot seek (it only knows what it has sent), which writers such as zipfile handle: zipfile
then writes each entry's sizes and CRC in a data descriptor after its data, and ZIP64 records
where offsets or counts need them.

On any failure the upload is aborted, so no half-written object and no stored parts are left
(the bucket's lifecycle rule also aborts incomplete uploads after a day, for a worker killed
before it could abort).
"""

from __future__ import annotations

import io
import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# S3 allows 10,000 parts of at least 5 MiB (the last may be smaller): 16 MiB parts carry up to
# ~156 GiB, and a 6 GB ZIP goes up in ~360 parts.
PART_SIZE = 16 * MIB
MIN_PART_SIZE = 5 * MIB
MAX_PARTS = 10_000
IN_FLIGHT = 4


class MultipartWriter(io.RawIOBase):
    """`with MultipartWriter(s3, bucket, key, content_type) as out: out.write(...)`: the object
    exists, complete, after a clean exit; after an exception nothing of it exists."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str, *, part_size: int = PART_SIZE,
                 in_flight: int = IN_FLIGHT) -> None:
        super().__init__()
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts (but the last) must be at least {MIN_PART_SIZE} bytes")
        self._s3, self._bucket, self._key = s3, bucket, key
        self._part_size, self._in_flight = part_size, max(1, in_flight)
        self._buffer = bytearray()
        self._position = 0
        self._pending: deque[Future[dict[str, Any]]] = deque()
        self._parts: list[dict[str, Any]] = []
        self._pool = ThreadPoolExecutor(max_workers=self._in_flight, thread_name_prefix="part")
        self._upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key,
                                                          ContentType=content_type)["UploadId"]
        self._finished = False

    # -- the file interface zipfile and openpyxl use ---------------------------------------------
    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        raise io.UnsupportedOperation("a multipart upload cannot seek")

    def write(self, data: Any) -> int:
        if self._finished:
            raise ValueError("write to a finished upload")
        view = memoryview(data).cast("B")
        self._buffer += view
        self._position += len(view)
        while len(self._buffer) >= self._part_size:
            part = bytes(self._buffer[:self._part_size])
            del self._buffer[:self._part_size]
            self._send(part)
        return len(view)

    def flush(self) -> None:  # parts go up when full; the rest at close
        pass

    # -- the upload --------------------------------------------------------------------------
    def _send(self, body: bytes) -> None:
        number = len(self._parts) + len(self._pending) + 1
        if number > MAX_PARTS:
            raise ValueError(f"more than {MAX_PARTS} parts: raise the part size")
        while len(self._pending) >= self._in_flight:  # bounded memory: wait for the oldest part
            self._parts.append(self._pending.popleft().result())
        self._pending.append(self._pool.submit(self._upload_part, number, body))

    def _upload_part(self, number: int, body: bytes) -> dict[str, Any]:
        resp = self._s3.upload_part(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                                    PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": resp["ETag"]}

    def complete(self) -> None:
        """Send the rest and put the parts together into the object."""
        if self._finished:
            return
        if self._buffer or not (self._parts or self._pending):  # the last part may be small, or empty
            self._send(bytes(self._buffer))
            self._buffer.clear()
        while self._pending:
            self._parts.append(self._pending.popleft().result())
        self._s3.complete_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                                           MultipartUpload={"Parts": self._parts})
        self._finished = True
        self._pool.shutdown()

    def abort(self) -> None:
        """Forget the upload and its stored parts (parts still in flight are waited for first,
        so none is stored after the abort)."""
        if self._finished:
            return
        self._finished = True
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()
        self._buffer.clear()
        try:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
        except Exception:  # the original error matters more; the lifecycle rule cleans up later
            log.warning("aborting a multipart upload failed; the bucket's lifecycle rule will remove it")

    def close(self) -> None:
        """Closing without `complete()` (an error path) aborts."""
        if not self.closed:
            self.abort()
        super().close()

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if kind is None:
                self.complete()
        finally:
            self.close()

"""Job results stream into an S3 multipart upload: a ZIP of several parts is the same archive
as one written to a file, ZIP64 where it needs it, and a failure leaves nothing behind."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import threading
import zipfile
from typing import Any

import pytest

from chalicelib.cert.bulk import REPORT_NAME, BulkFailure, BulkSuccess, entry_name, write_zip
from chalicelib.jobs.multipart import MIN_PART_SIZE, MultipartWriter

KEY = "jobs/test/certificates.zip"


def _s3(aws: Any) -> Any:
    from chalicelib import aws as clients

    return clients.client("s3", aws.settings.region)


def _items(count: int, size: int) -> list[Any]:
    rng = random.Random(7)
    items: list[Any] = [BulkFailure("110000999999", "李四", "没有查询到照片信息")]
    items += [BulkSuccess(f"110000{i:06d}", b"%PDF-" + rng.randbytes(size), f"会员{i}") for i in range(count)]
    return items


def _upload_zip(aws: Any, items: list[Any]) -> tuple[bytes, dict[str, Any]]:
    with aws.job_files.writer(KEY, "application/zip", part_size=MIN_PART_SIZE) as out:
        write_zip(items, out, total=len(items))
    s3 = _s3(aws)
    head = s3.head_object(Bucket=aws.settings.photo_bucket, Key=KEY)
    head["PartsCount"] = s3.head_object(Bucket=aws.settings.photo_bucket, Key=KEY, PartNumber=1)["PartsCount"]
    body = s3.get_object(Bucket=aws.settings.photo_bucket, Key=KEY)["Body"].read()
    return bytes(body), head


def _unzip_test(tmp_path: Any, data: bytes) -> None:
    if shutil.which("unzip") is None:
        pytest.skip("unzip is not installed")
    path = tmp_path / "result.zip"
    path.write_bytes(data)
    done = subprocess.run(["unzip", "-tqq", str(path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_zip_of_several_parts_is_the_archive_a_file_would_hold(aws, tmp_path):
    items = _items(120, 100_000)  # ~12 MB of certificate-sized PDFs: three 5 MiB parts
    data, head = _upload_zip(aws, items)
    assert head["PartsCount"] == 3 and head["ContentType"] == "application/zip"

    on_disk = io.BytesIO()
    write_zip(items, on_disk, total=len(items))
    streamed, seekable = zipfile.ZipFile(io.BytesIO(data)), zipfile.ZipFile(on_disk)
    assert streamed.namelist() == seekable.namelist()  # the same entries, in the same order
    assert streamed.namelist()[-1] == REPORT_NAME
    for name in seekable.namelist():
        assert streamed.read(name) == seekable.read(name)
    assert streamed.testzip() is None
    assert streamed.read(entry_name("110000000007", "会员7")) == items[8].pdf
    report = streamed.read(REPORT_NAME).decode("utf-8-sig")
    assert "没有查询到照片信息" in report and "120 份" in report
    _unzip_test(tmp_path, data)


def test_more_entries_than_a_zip_can_count_need_zip64_and_open(aws, tmp_path):
    # 65,535 entries is the most a plain ZIP end record counts; past it only ZIP64 holds them
    # (as it holds offsets past 4 GiB, the other case a 60,000-certificate archive reaches).
    items = _items(66_000, 40)
    data, head = _upload_zip(aws, items)
    assert head["PartsCount"] >= 2
    assert b"PK\x06\x06" in data[-200:] and b"PK\x06\x07" in data[-200:]  # ZIP64 end records
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert len(names) == 66_001 and names[0] == entry_name("110000000000", "会员0") and names[-1] == REPORT_NAME
    assert archive.read(names[65_999]) == items[-1].pdf
    _unzip_test(tmp_path, data)


class _FailingPart:
    """The S3 client, but one part's upload fails (as a network error or a throttle would)."""

    def __init__(self, s3: Any, fail: int) -> None:
        self._s3, self._fail = s3, fail
        self.active = self.most = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def upload_part(self, **kw: Any) -> Any:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            if kw["PartNumber"] == self._fail:
                raise ConnectionError("part lost")
            return self._s3.upload_part(**kw)
        finally:
            with self._lock:
                self.active -= 1


def _nothing_left(aws: Any) -> None:
    s3 = _s3(aws)
    assert s3.list_multipart_uploads(Bucket=aws.settings.photo_bucket).get("Uploads", []) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=aws.settings.photo_bucket, Prefix="jobs/")


def test_a_failing_part_aborts_the_upload(aws):
    s3 = _FailingPart(_s3(aws), fail=2)
    with pytest.raises(ConnectionError):
        with MultipartWriter(s3, aws.settings.photo_bucket, KEY, "application/zip", part_size=MIN_PART_SIZE,
                             in_flight=2) as out:
            write_zip(_items(120, 100_000), out)
    assert s3.most <= 2  # never more parts in memory than the writer allows
    _nothing_left(aws)


def test_a_failure_while_writing_aborts_the_upload(aws):
    def items() -> Any:
        yield from _items(80, 100_000)  # two parts already sent
        raise RuntimeError("reading a certificate failed")

    with pytest.raises(RuntimeError):
        with aws.job_files.writer(KEY, "application/zip", part_size=MIN_PART_SIZE) as out:
            write_zip(items(), out)
    _nothing_left(aws)

"""devstack/moto_s3.py serves moto's URL tables from a cache without changing any answer: the
same tables as moto builds, rebuilt when the settings they read change, and the same S3
answers (ETag, body, metadata, versions, ranges, presigned GET and POST, listings) with the fit
and without it."""

from __future__ import annotations

import hashlib
from typing import Any, Callable

import pytest
import requests


def _backends() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    return [s3_backends[DEFAULT_ACCOUNT_ID]["aws"], dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"],
            sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]]


def test_the_fit_is_installed_and_its_tables_are_motos_own(aws: Any) -> None:
    from devstack.moto_s3 import stock_urls, url_table_cached

    for backend in _backends():
        fitted = backend.urls
        assert url_table_cached(backend), type(backend).__name__
        stock = stock_urls(backend)
        assert list(fitted.items()) == list(stock.items()), type(backend).__name__  # same order too
        fitted.clear()  # a caller editing its copy does not change the next request's table
        assert list(backend.urls.items()) == list(stock.items())


def test_a_changed_setting_rebuilds_the_table(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from devstack.moto_s3 import stock_urls

    s3 = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    before = dict(s3.urls)
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", "https://s3.example.internal")
    after = s3.urls
    assert list(after.items()) == list(stock_urls(s3).items())
    assert any("example" in url for url in after) and not any("example" in url for url in before)
    monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS")
    assert list(s3.urls.items()) == list(before.items())


def _scenario(s3: Any, bucket: str) -> dict[str, Any]:
    """What a client sees of a versioned bucket: everything but ids and times, which moto draws
    at random or from the clock."""
    seen: dict[str, Any] = {}
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="photos/a b+中.jpg", Body=b"\xff\xd8first" * 300,
                          ContentType="image/jpeg", Metadata={"member": "110000000001", "note": "x y"})
    second = s3.put_object(Bucket=bucket, Key="photos/a b+中.jpg", Body=b"\xff\xd8second" * 300,
                           ContentType="image/jpeg")
    seen["put_etags"] = [first["ETag"], second["ETag"]]
    seen["etag_is_md5"] = first["ETag"] == '"%s"' % hashlib.md5(b"\xff\xd8first" * 300).hexdigest()
    got = s3.get_object(Bucket=bucket, Key="photos/a b+中.jpg", VersionId=first["VersionId"])
    seen["old_version"] = (got["Body"].read(), got["ETag"], got["Metadata"], got["ContentType"], got["ContentLength"])
    latest = s3.get_object(Bucket=bucket, Key="photos/a b+中.jpg")
    seen["latest"] = (latest["Body"].read(), latest["ETag"], latest["Metadata"], latest["VersionId"] == second["VersionId"])
    part = s3.get_object(Bucket=bucket, Key="photos/a b+中.jpg", Range="bytes=2-9")
    seen["range"] = (part["Body"].read(), part["ContentRange"], part["ContentLength"], part["ResponseMetadata"]["HTTPStatusCode"])
    head = s3.head_object(Bucket=bucket, Key="photos/a b+中.jpg")
    seen["head"] = (head["ETag"], head["ContentLength"], head["ContentType"])
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"certificates/{i:02d}.pdf", Body=b"%PDF-" + bytes([i]) * 10,
                      ContentType="application/pdf")
    page = s3.list_objects_v2(Bucket=bucket, Prefix="certificates/", MaxKeys=3)
    rest = s3.list_objects_v2(Bucket=bucket, Prefix="certificates/", ContinuationToken=page["NextContinuationToken"])
    seen["listing"] = ([(o["Key"], o["ETag"], o["Size"]) for o in page["Contents"] + rest["Contents"]],
                       page["IsTruncated"], rest["IsTruncated"])
    versions = s3.list_object_versions(Bucket=bucket, Prefix="photos/")
    seen["versions"] = [(v["Key"], v["ETag"], v["IsLatest"], v["Size"]) for v in versions["Versions"]]
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": "certificates/01.pdf",
        "ResponseContentDisposition": 'attachment; filename="01.pdf"'}, ExpiresIn=60)
    r = requests.get(url, timeout=10)
    seen["presigned_get"] = (r.status_code, r.content, r.headers.get("Content-Disposition"), r.headers.get("ETag"))
    post = s3.generate_presigned_post(bucket, "uploads/x.jpg", Fields={"Content-Type": "image/jpeg"},
                                      Conditions=[{"Content-Type": "image/jpeg"}, ["content-length-range", 1, 1000]],
                                      ExpiresIn=60)
    ok = requests.post(post["url"], data=post["fields"], files={"file": ("x.jpg", b"\xff\xd8post", "image/jpeg")},
                       timeout=10)
    too_big = requests.post(post["url"], data=post["fields"], files={"file": ("x.jpg", b"0" * 2000, "image/jpeg")},
                            timeout=10)
    stored = s3.get_object(Bucket=bucket, Key="uploads/x.jpg")
    seen["presigned_post"] = (ok.status_code, too_big.status_code, stored["Body"].read(), stored["ContentType"])
    s3.delete_object(Bucket=bucket, Key="certificates/00.pdf")
    missing: Callable[[], Any] = lambda: s3.get_object(Bucket=bucket, Key="certificates/00.pdf")  # noqa: E731
    with pytest.raises(Exception) as err:
        missing()
    seen["deleted"] = err.value.response["Error"]["Code"]  # type: ignore[attr-defined]
    return seen


def test_s3_answers_are_the_same_with_and_without_the_fit(aws: Any) -> None:
    from chalicelib import aws as aws_clients
    from devstack.moto_s3 import unfitted

    s3 = aws_clients.client("s3", aws.settings.region)
    fitted = _scenario(s3, "fit-s3-fitted")
    with unfitted():
        stock = _scenario(s3, "fit-s3-stock")
    assert fitted == stock
    assert fitted["etag_is_md5"] and fitted["latest"][3]
    assert fitted["range"][0] == (b"\xff\xd8first" * 300)[:0] + (b"\xff\xd8second" * 300)[2:10]
    assert fitted["presigned_post"][0] == 204  # (moto does not enforce content-length-range, fitted or not)


@pytest.mark.parametrize("host", [
    "s3.amazonaws.com", "photos.s3.amazonaws.com", "s3.us-east-1.amazonaws.com", "b.s3.cn-north-1.amazonaws.com.cn",
    "s3.dualstack.eu-west-1.amazonaws.com", "127.0.0.1:5000", "localhost:5000", "[::1]:5000", "moto",
    "bucket.s3-website-us-east-1.amazonaws.com", "s3.example.internal", "",
])
def test_the_addressing_style_is_motos_own(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.s3.responses import S3Response

    from devstack.moto_s3 import stock_subdomain_based_buckets

    class Request:
        def __init__(self, host: str) -> None:
            self.headers = {"host": host} if host else {}
            self.url = "https://s3.amazonaws.com/b/k" if not host else f"https://{host}/b/k"

    for endpoints in (None, "https://s3.example.internal"):
        if endpoints:
            monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", endpoints)
        for _ in range(2):  # the second answer comes from the cache
            assert S3Response.subdomain_based_buckets(Request(host)) == stock_subdomain_based_buckets(Request(host))


def _multipart(s3: Any, bucket: str, key: str, parts: list[bytes], **extra: Any) -> tuple[int, dict[str, Any]]:
    """(the peak of Python's traced memory while the upload is completed, what a client sees of
    the object: ETag, checksums, length, bytes)."""
    import tracemalloc

    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
    algorithm = {"ChecksumAlgorithm": extra["ChecksumAlgorithm"]} if "ChecksumAlgorithm" in extra else {}
    done = [{"PartNumber": n, **{k: v for k, v in s3.upload_part(
        Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=body, **algorithm).items()
        if k == "ETag" or k.startswith("Checksum")}} for n, body in enumerate(parts, 1)]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    seen = {k: v for k, v in head.items() if k in ("ETag", "ContentLength") or k.startswith("Checksum")}
    seen["body"] = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return peak, seen


def test_an_assembled_upload_is_the_same_object_for_one_part_of_memory(aws: Any) -> None:
    """A multipart upload (the bulk ZIP) completed by the fit: the same ETag, checksum and bytes
    as moto's own, with the default checksum and composite ones, holding one part at a time
    (moto's own holds about four copies of the whole object: a 60,000-member bulk ZIP of ~5 GB
    made the local stack's moto server run out of memory on a 24 GB machine)."""
    import os

    from chalicelib import aws as aws_clients
    from devstack.moto_s3 import unfitted

    s3 = aws_clients.client("s3", aws.settings.region)
    s3.create_bucket(Bucket="fit-s3-large")
    parts = [os.urandom(6 * 1024 * 1024) for _ in range(4)] + [os.urandom(1024)]
    size = sum(len(p) for p in parts)
    for extra in ({}, {"ChecksumAlgorithm": "SHA256"}, {"ChecksumAlgorithm": "CRC32"}):
        fitted_peak, fitted = _multipart(s3, "fit-s3-large", "fitted.zip", parts, **extra)
        with unfitted():
            stock_peak, stock = _multipart(s3, "fit-s3-large", "stock.zip", parts, **extra)
        assert fitted == stock, extra
        assert fitted["body"] == b"".join(parts) and fitted["ContentLength"] == size
        # a part and change, not the object (moto's own: about four objects)
        assert fitted_peak <= 1.5 * len(parts[0]) < 0.4 * size, (extra, fitted_peak / size, stock_peak / size)
    small = s3.put_object(Bucket="fit-s3-large", Key="small.pdf", Body=b"%PDF-small")  # stays in memory
    assert s3.get_object(Bucket="fit-s3-large", Key="small.pdf")["ETag"] == small["ETag"]


def test_a_part_too_small_or_unknown_is_refused_as_moto_refuses_it(aws: Any) -> None:
    from botocore.exceptions import ClientError

    from chalicelib import aws as aws_clients
    from devstack.moto_s3 import unfitted

    s3 = aws_clients.client("s3", aws.settings.region)
    s3.create_bucket(Bucket="fit-s3-refused")

    def errors() -> list[str]:
        out = []
        for parts, wrong_etag in (([b"a" * 10, b"b" * 10], False), ([b"a" * (5 * 1024 * 1024)], True)):
            upload = s3.create_multipart_upload(Bucket="fit-s3-refused", Key="k")["UploadId"]
            done = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="fit-s3-refused", Key="k", UploadId=upload,
                                                             PartNumber=n, Body=body)["ETag"]}
                    for n, body in enumerate(parts, 1)]
            if wrong_etag:
                done[0]["ETag"] = '"00000000000000000000000000000000"'
            with pytest.raises(ClientError) as err:
                s3.complete_multipart_upload(Bucket="fit-s3-refused", Key="k", UploadId=upload,
                                             MultipartUpload={"Parts": done})
            out.append(err.value.response["Error"]["Code"])
        return out

    fitted = errors()
    with unfitted():
        assert errors() == fitted == ["EntityTooSmall", "InvalidPart"]


def _uploaded(s3: Any, bucket: str, key: str, parts: list[bytes]) -> tuple[str, list[dict[str, Any]]]:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=n,
                                                     Body=body)["ETag"]} for n, body in enumerate(parts, 1)]
    return upload, done


def test_a_completion_retried_while_it_runs_gets_the_same_answer(aws: Any) -> None:
    """The SDK sends a completion again when the first one outlasts its read timeout. The
    retry waits for the completion running and gets its answer, as S3 answers a completion
    repeated after success; before, the first to finish disposed of the parts under the other
    ("seek of closed file") and the job failed with the object stored."""
    import os
    import threading
    import time

    from chalicelib import aws as aws_clients
    from devstack import moto_s3

    s3 = aws_clients.client("s3", aws.settings.region)
    s3.create_bucket(Bucket="fit-s3-retried")
    parts = [os.urandom(5 * 1024 * 1024 + 17) for _ in range(3)] + [os.urandom(999)]
    upload, done = _uploaded(s3, "fit-s3-retried", "bulk.zip", parts)
    answers: list[Any] = []

    def complete() -> None:
        try:
            answers.append(s3.complete_multipart_upload(Bucket="fit-s3-retried", Key="bulk.zip", UploadId=upload,
                                                        MultipartUpload={"Parts": done})["ETag"])
        except Exception as exc:  # noqa: BLE001 (the assertion below shows it)
            answers.append(exc)

    with moto_s3._COMPLETING:  # both requests reach the backend before either may complete
        threads = [threading.Thread(target=complete) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
    for thread in threads:
        thread.join(60)
    stored = s3.get_object(Bucket="fit-s3-retried", Key="bulk.zip")
    assert answers == [stored["ETag"]] * 2, answers
    assert stored["Body"].read() == b"".join(parts)
    # and once it is done, a repeated completion is answered the same way (moto's own check)
    again = s3.complete_multipart_upload(Bucket="fit-s3-retried", Key="bulk.zip", UploadId=upload,
                                         MultipartUpload={"Parts": done})
    assert again["ETag"] == stored["ETag"]


def test_an_assembled_object_reads_like_moto_s_own_by_range_and_after_overwrite(aws: Any) -> None:
    """The completed key reads its parts' files in place: ranges across part boundaries, the
    whole object, a copy, and a new value written to the key give moto's own answers."""
    import os

    from chalicelib import aws as aws_clients
    from devstack.moto_s3 import unfitted

    s3 = aws_clients.client("s3", aws.settings.region)
    s3.create_bucket(Bucket="fit-s3-ranges")
    parts = [os.urandom(5 * 1024 * 1024) for _ in range(2)] + [os.urandom(4096)]
    whole = b"".join(parts)
    edge = len(parts[0])
    ranges = ["bytes=0-0", f"bytes={edge - 3}-{edge + 2}", f"bytes={edge}-", "bytes=-4097", f"bytes=10-{2 * edge + 5}"]

    def seen(key: str) -> list[Any]:
        upload, done = _uploaded(s3, "fit-s3-ranges", key, parts)
        s3.complete_multipart_upload(Bucket="fit-s3-ranges", Key=key, UploadId=upload, MultipartUpload={"Parts": done})
        out: list[Any] = [s3.get_object(Bucket="fit-s3-ranges", Key=key)["Body"].read() == whole]
        for bytes_range in ranges:
            got = s3.get_object(Bucket="fit-s3-ranges", Key=key, Range=bytes_range)
            out.append((got["ContentRange"], got["Body"].read()))
        s3.copy_object(Bucket="fit-s3-ranges", Key=key + ".copy", CopySource={"Bucket": "fit-s3-ranges", "Key": key})
        out.append(s3.get_object(Bucket="fit-s3-ranges", Key=key + ".copy")["Body"].read() == whole)
        s3.put_object(Bucket="fit-s3-ranges", Key=key, Body=b"replaced")
        out.append(s3.get_object(Bucket="fit-s3-ranges", Key=key)["Body"].read())
        return out

    fitted = seen("fitted.zip")
    with unfitted():
        stock = seen("stock.zip")
    assert fitted == stock
    assert fitted[0] is True and fitted[-1] == b"replaced"
    assert fitted[2] == (f"bytes {edge - 3}-{edge + 2}/{len(whole)}", whole[edge - 3:edge + 3])


def test_the_chain_reads_and_seeks_like_one_file() -> None:
    import io
    import os
    import tempfile

    from devstack.moto_s3 import _Chain

    pieces = [os.urandom(n) for n in (7, 0, 1, 300, 5)]
    files = []
    for piece in pieces:
        file = tempfile.SpooledTemporaryFile(100)
        file.write(piece)
        files.append(file)
    files.append(files[0])  # a part named twice
    whole = b"".join(pieces) + pieces[0]
    chain, reference = _Chain(files), io.BytesIO(whole)
    for offset, whence, size in ((0, 0, -1), (3, 0, 10), (5, 1, 1), (-9, 2, 4), (0, 0, 313), (2, 1, 50),
                                 (400, 0, 3)):
        assert chain.seek(offset, whence) == reference.seek(offset, whence)
        assert chain.read(size) == reference.read(size)
        assert chain.tell() == reference.tell()
    assert bytes(chain.read_whole()) == whole
    chain.close()
    assert all(file.closed for file in files)


def test_the_server_streams_a_whole_assembled_object_and_cuts_ranges_as_moto_does() -> None:
    """Through the moto server (as the local stack's browser download of the bulk ZIP goes), a
    GET of a whole assembled object is sent a slice at a time, without reading it into memory;
    the bytes, length and ranges are moto's."""
    import os

    import boto3
    from moto.server import ThreadedMotoServer

    from devstack.fits import fit_moto
    from devstack.moto_s3 import unfitted

    fit_moto()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        port = server._server.server_port  # type: ignore[union-attr]
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="fit-s3-stream")
        parts = [os.urandom(6 * 1024 * 1024) for _ in range(10)] + [os.urandom(12345)]
        whole = b"".join(parts)
        upload, done = _uploaded(s3, "fit-s3-stream", "bulk.zip", parts)
        s3.complete_multipart_upload(Bucket="fit-s3-stream", Key="bulk.zip", UploadId=upload,
                                     MultipartUpload={"Parts": done})
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "fit-s3-stream", "Key": "bulk.zip"})
        requests.get(url, timeout=60).raise_for_status()  # the first request's imports are not the GET's
        fitted_peak, digest = _download(url, len(whole))
        with unfitted():
            stock_peak, stock_digest = _download(url, len(whole))
        assert digest == stock_digest == hashlib.sha256(whole).hexdigest()
        # slices (and the client's own ~10 MB), not the object as moto's own reads it
        assert fitted_peak < 0.3 * len(whole) < 0.3 * stock_peak, (fitted_peak / len(whole), stock_peak / len(whole))
        got = requests.get(url, headers={"Range": "bytes=6291450-6291460"}, timeout=60)
        assert got.status_code == 206 and got.content == whole[6291450:6291461]
        assert s3.get_object(Bucket="fit-s3-stream", Key="bulk.zip")["Body"].read() == whole
    finally:
        server.stop()


def _download(url: str, size: int) -> tuple[int, str]:
    """(the peak of Python's traced memory in this process, server included, while `url` is
    downloaded a piece at a time; the SHA-256 of what came)."""
    import tracemalloc

    digest = hashlib.sha256()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with requests.get(url, stream=True, timeout=60) as resp:
            assert resp.status_code == 200 and resp.headers["Content-Length"] == str(size)
            for piece in resp.iter_content(256 * 1024):
                digest.update(piece)
        return tracemalloc.get_traced_memory()[1], digest.hexdigest()
    finally:
        tracemalloc.stop()

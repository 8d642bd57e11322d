"""S3 and SQS adapters for jobs: chunk outputs, results and presigned links; the jobs queue.

Job files live in the private photo bucket under `jobs/<id>/`: a JSON output per chunk (written
under a fixed key, so a redelivered chunk overwrites rather than duplicates), the result and its
failure report. Results are streamed into a multipart upload as they are written
(`JobFiles.writer`, chalicelib/jobs/multipart.py), so a large export or ZIP never has to fit one
PUT, the memory or the Lambda's /tmp.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from chalicelib.jobs.multipart import PART_SIZE, MultipartWriter

PREFIX = "jobs/"
LINK_SECONDS = 600


class JobFiles:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    @staticmethod
    def chunk_key(job_id: str, chunk: int) -> str:
        return f"{PREFIX}{job_id}/chunk-{chunk:05d}.json"

    def put_json(self, key: str, value: Any) -> None:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    def get_json(self, key: str) -> Any:
        return json.loads(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return bytes(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except self._s3.exceptions.NoSuchKey:
            return None

    def get_bytes_tagged(self, key: str) -> tuple[bytes, str] | None:
        """The object and the tag of the exact version read (see `tag`), or None if absent."""
        try:
            resp = self._s3.get_object(Bucket=self.bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            return None
        return bytes(resp["Body"].read()), _tag(resp)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> str:
        """Store a small object (one PUT); returns the tag of the version written."""
        resp = self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return _tag(resp)

    def tag(self, key: str) -> str | None:
        """What names the object's current content: its S3 version id (the bucket is versioned)
        and ETag, so a file replaced under the same key never matches a tag taken before; None
        if absent."""
        try:
            return _tag(self._s3.head_object(Bucket=self.bucket, Key=key))
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def upload(self, key: str, fileobj: BinaryIO, content_type: str) -> None:
        fileobj.seek(0)
        self._s3.upload_fileobj(fileobj, self.bucket, key, ExtraArgs={"ContentType": content_type})

    def writer(self, key: str, content_type: str, *, part_size: int = PART_SIZE) -> MultipartWriter:
        """A write-only file whose bytes become the object `key` when its `with` block ends
        cleanly (and nothing at all when it raises)."""
        return MultipartWriter(self._s3, self.bucket, key, content_type, part_size=part_size)

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            part = keys[start:start + 1000]
            if part:
                self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in part],
                                                                    "Quiet": True})

    def link(self, key: str, filename: str) -> str:
        from urllib.parse import quote

        disposition = f"attachment; filename=\"{filename.encode('ascii', 'replace').decode()}\"; " \
                      f"filename*=UTF-8''{quote(filename)}"
        return str(self._s3.generate_presigned_url("get_object", Params={
            "Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition},
            ExpiresIn=LINK_SECONDS))


def _tag(resp: dict[str, Any]) -> str:
    return f"{resp.get('VersionId') or ''}|{str(resp.get('ETag') or '').strip(chr(34))}"


class JobQueue:
    """The jobs queue: one message per chunk (and one to plan a job)."""

    def __init__(self, sqs: Any, queue_name: str) -> None:
        self._sqs = sqs
        self.queue_name = queue_name
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = str(self._sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"])
        return self._url

    def retry_after(self, receipt_handle: str, seconds: int) -> None:
        """Let a message whose step failed come back after `seconds` rather than after the
        queue's visibility timeout (which is sized for the longest step, see infra/resources.yaml)."""
        self._sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt_handle,
                                            VisibilityTimeout=seconds)

    def send(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            entries = [{"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":"))}
                       for i, m in enumerate(messages[start:start + 10])]
            resp = self._sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            if resp.get("Failed"):
                raise RuntimeError(f"jobs queue refused {len(resp['Failed'])} messages")

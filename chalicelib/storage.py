"""The photo bucket: one adapter for every S3 call the services make.

Returns our own values and turns botocore failures into `PhotoStoreUnavailable`, so services
can tell "no photo" (None) from "the store is unreachable" (the member page says 没有查询到照片信息
for the first and 获取照片信息失败 for the second).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import ServiceUnavailable


class PhotoStoreUnavailable(ServiceUnavailable):
    code = "PHOTO_UNAVAILABLE"
    message = "获取照片信息失败"


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    version_id: str | None
    content_type: str


class PhotoStore:
    UPLOAD_PREFIX = "uploads/"
    PHOTO_PREFIX = "photos/"
    REFERENCE_PREFIX = "reference/"
    # the photo auto-fix's input on its way to the `photo_prepare` function (expires in a day)
    STAGING_PREFIX = "prepare/"

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            obj = self._s3.get_object(**kwargs)
            return StoredObject(obj["Body"].read(), obj.get("VersionId"), obj.get("ContentType", ""))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchVersion"):
                return None
            raise PhotoStoreUnavailable() from exc
        except BotoCoreError as exc:
            raise PhotoStoreUnavailable() from exc

    def put(self, key: str, body: bytes, content_type: str = "image/jpeg",
            metadata: dict[str, str] | None = None) -> str | None:
        """Store an object; returns its version id (the bucket is versioned)."""
        try:
            resp = self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                                       Metadata=metadata or {})
            return resp.get("VersionId")
        except (ClientError, BotoCoreError) as exc:
            raise PhotoStoreUnavailable() from exc

    def delete(self, key: str, version_id: str | None = None) -> None:
        """Remove an object; with `version_id`, that very version (the bucket is versioned: a
        plain delete would only hide the bytes behind a delete marker)."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            self._s3.delete_object(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise PhotoStoreUnavailable() from exc

    def presigned_post(self, key: str, *, min_bytes: int, max_bytes: int, content_type: str,
                       expires_in: int = 600) -> dict[str, Any]:
        """A browser upload whose policy pins the key, the type and the size range."""
        try:
            return self._s3.generate_presigned_post(
                Bucket=self.bucket, Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[{"Content-Type": content_type},
                            ["content-length-range", min_bytes, max_bytes],
                            {"key": key}],
                ExpiresIn=expires_in,
            )
        except (ClientError, BotoCoreError) as exc:
            raise PhotoStoreUnavailable() from exc

    def presigned_get(self, key: str, *, expires_in: int = 300, filename: str | None = None) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

"""Photo uploads that arrive through the API instead of a presigned POST to S3.

WeChat mini-programs may only send files to whitelisted (ICP-filed) domains, so they cannot
reach the bucket's own host. This path takes the image on the API's domain (`wx.uploadFile`
sends multipart/form-data; a JSON body `{"image": "data:image/jpeg;base64,..."}` or a raw
image/jpeg body work too) and writes it to the same `uploads/<member_no>/<upload_id>.jpg` key a
presigned POST would, so the S3 → SQS → photo-check path runs unchanged. The rules are those of
the presigned POST: member only, consent first, one JPEG of 10-20 KB at a key the server chose.
"""

from __future__ import annotations

import base64
import binascii
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from chalicelib.bootstrap import Deps
from chalicelib.errors import BadRequest, PayloadTooLarge, ValidationFailed
from chalicelib.members import records, standing
from chalicelib.photo import service
from chalicelib.principal import Principal
from chalicelib.storage import PhotoStore

CONTENT_TYPES = ["multipart/form-data", "application/json", "image/jpeg", "application/octet-stream"]
# the multipart envelope around a 20 KB photo stays far below this; larger bodies are refused
# before they are parsed
MAX_BODY_BYTES = 256 * 1024
SIZE_MESSAGE = "照片文件大小不符合要求(应为 10–20 KB)"
FILE_FIELD = "file"


def _from_multipart(content_type: str, body: bytes) -> bytes:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise BadRequest("上传内容格式不正确,请重新上传", code="UPLOAD_MALFORMED")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == FILE_FIELD:
            data = part.get_payload(decode=True)
            return data if isinstance(data, bytes) else b""
    raise BadRequest("请选择照片文件", code="PHOTO_EMPTY")


def _from_json(body: bytes) -> bytes:
    try:
        image = json.loads(body or b"{}").get("image", "")
    except (ValueError, AttributeError):
        raise BadRequest("请求内容不是有效的 JSON", code="INVALID_JSON") from None
    if not isinstance(image, str) or not image:
        raise BadRequest("请选择照片文件", code="PHOTO_EMPTY")
    encoded = image.split(",", 1)[1] if image.startswith("data:") else image
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("照片数据无效,请重新上传", code="UPLOAD_MALFORMED") from None


def image_bytes(content_type: str, body: bytes) -> bytes:
    """The JPEG inside a multipart, JSON (base64) or raw request body."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(SIZE_MESSAGE, code="PHOTO_SIZE")
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return _from_multipart(content_type, body)
    if kind == "application/json":
        return _from_json(body)
    return body


def check_jpeg(data: bytes) -> None:
    """The presigned POST's policy, enforced here: 10-20 KB; and the bytes must be a JPEG."""
    if not data:
        raise BadRequest("请选择照片文件", code="PHOTO_EMPTY")
    if not service.MIN_BYTES <= len(data) <= service.MAX_BYTES:
        raise ValidationFailed(SIZE_MESSAGE, code="PHOTO_SIZE",
                               min_bytes=service.MIN_BYTES, max_bytes=service.MAX_BYTES)
    if data[:3] != b"\xff\xd8\xff":
        raise ValidationFailed("照片应为 JPEG 格式,请使用系统自动处理后的候选照片上传", code="PHOTO_FORMAT")


def upload(d: Deps, principal: Principal, content_type: str, body: bytes) -> dict[str, Any]:
    """Store the member's photo where the check pipeline picks it up; poll it like any upload."""
    standing.require_active(records.own(principal))  # before reading a photo we could never use
    data = image_bytes(content_type, body)
    check_jpeg(data)
    started = service.start_upload(d, principal)  # member scope and consent, as for the POST
    member_no = principal.member_no
    key = f"{PhotoStore.UPLOAD_PREFIX}{member_no}/{started['upload_id']}.jpg"
    d.photos.put(key, data, content_type="image/jpeg")
    return {"upload_id": started["upload_id"], "status": "pending",
            "min_bytes": service.MIN_BYTES, "max_bytes": service.MAX_BYTES}

"""The API additions the WeChat mini-program needs, through Chalice's test client.

A mini-program may only call whitelisted domains, so it uploads the photo to the API
(`POST /me/photo/direct-uploads`, multipart from `wx.uploadFile`, or JSON base64) instead of to
the bucket's host; the object lands at the same `uploads/<member_no>/<id>.jpg` key and the
S3 → SQS → photo-check path decides, as for a presigned POST. The certificate is fetched with
`wx.downloadFile` and the Authorization header from the existing route. `GET /meta/messages` is
the texts table both clients show.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from chalicelib import aws as aws_clients
from chalicelib.members.models import MemberModel
from chalicelib.photo.models import UploadModel
from chalicelib.photo.service import CONSENT_TEXT_VERSION
from tests.conftest import FACES

PHOTO = (FACES / "spec_white" / "obama_01.jpg").read_bytes()
REFERENCE = (FACES / "spec_white" / "obama_02.jpg").read_bytes()
PATH = "/me/photo/direct-uploads"


def multipart(data: bytes, field: str = "file", filename: str = "photo.jpg") -> tuple[bytes, str]:
    """A body shaped as wx.uploadFile sends it (name = the `name` option, here "file")."""
    boundary = "----wxupload" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmember\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture()
def member(aws, make_member, persona):
    m = make_member("110000")
    key = f"reference/{m.member_no}.jpg"
    aws.photos.put(key, REFERENCE)
    m.refresh()
    m.reference_key = key
    m.save()
    return persona("member", "110000", member_no=m.member_no)


def _consent(client, who) -> None:
    r = client.http.post("/me/photo/consent", headers=who.headers,
                         body=json.dumps({"text_version": CONSENT_TEXT_VERSION}))
    assert r.status_code == 200, r.body


def _post(client, who, body: bytes, content_type: str):
    return client.http.post(PATH, headers={"Authorization": f"Bearer {who.token}", "Content-Type": content_type},
                            body=body)


def _drain(client, aws) -> int:
    sqs = aws_clients.client("sqs", "us-east-1")
    url = sqs.get_queue_url(QueueName=aws.settings.photo_queue)["QueueUrl"]
    handled = 0
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            return handled
        for m in msgs:
            event = client.events.generate_sqs_event(message_bodies=[m["Body"]], queue_name=aws.settings.photo_queue)
            client.lambda_.invoke("photo_check", event)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            handled += 1


def test_multipart_upload_lands_at_the_upload_key_and_the_pipeline_accepts_it(client, aws, member):
    _consent(client, member)
    body, ctype = multipart(PHOTO)
    r = _post(client, member, body, ctype)
    assert r.status_code == 200, r.body
    upload_id = r.json_body["upload_id"]
    assert r.json_body["status"] == "pending"
    stored = aws.photos.get(f"uploads/{member.member_no}/{upload_id}.jpg")
    assert stored is not None and stored.body == PHOTO  # byte for byte, the multipart envelope removed
    assert UploadModel.get(upload_id).member_no == member.member_no

    assert _drain(client, aws) >= 1
    status = client.http.get(f"/me/photo/uploads/{upload_id}", headers=member.headers).json_body
    assert status["status"] == "accepted" and status["message"] == "比对成功"
    assert MemberModel.get(member.member_no).photo_status == "accepted"


def test_json_base64_upload_is_accepted_too(client, aws, member):
    _consent(client, member)
    data_url = "data:image/jpeg;base64," + base64.b64encode(PHOTO).decode()
    r = _post(client, member, json.dumps({"image": data_url}).encode(), "application/json")
    assert r.status_code == 200, r.body
    stored = aws.photos.get(f"uploads/{member.member_no}/{r.json_body['upload_id']}.jpg")
    assert stored is not None and stored.body == PHOTO


def test_consent_is_required_first(client, aws, member):
    body, ctype = multipart(PHOTO)
    r = _post(client, member, body, ctype)
    assert r.status_code == 409 and r.json_body["code"] == "CONSENT_REQUIRED"
    assert r.json_body["message"] == "请先阅读并同意人脸信息处理授权"
    assert not list(UploadModel.scan())


@pytest.mark.parametrize("data", [PHOTO[:5000], PHOTO + b"\0" * 4000], ids=["too-small", "too-large"])
def test_size_limits_are_those_of_the_presigned_post(client, aws, member, data):
    _consent(client, member)
    body, ctype = multipart(data)
    r = _post(client, member, body, ctype)
    assert r.status_code == 422, r.body
    assert r.json_body["code"] == "PHOTO_SIZE"
    assert r.json_body["message"] == "照片文件大小不符合要求(应为 10–20 KB)"
    assert not list(UploadModel.scan())


def test_a_huge_body_is_refused_before_parsing(client, aws, member):
    _consent(client, member)
    body, ctype = multipart(b"\xff\xd8\xff" + b"\0" * (300 * 1024))
    r = _post(client, member, body, ctype)
    assert r.status_code == 413 and r.json_body["code"] == "PHOTO_SIZE"


def test_not_a_jpeg_is_refused(client, aws, member):
    _consent(client, member)
    body, ctype = multipart(b"GIF89a" + b"\0" * 15000)
    r = _post(client, member, body, ctype)
    assert r.status_code == 422 and r.json_body["code"] == "PHOTO_FORMAT"


def test_a_multipart_without_the_file_field_is_refused(client, aws, member):
    _consent(client, member)
    body, ctype = multipart(PHOTO, field="image")
    r = _post(client, member, body, ctype)
    assert r.status_code == 400 and r.json_body["code"] == "PHOTO_EMPTY"


def test_members_only(client, aws, member, persona):
    staff = persona("association_staff", "110000")
    body, ctype = multipart(PHOTO)
    assert _post(client, staff, body, ctype).status_code == 403
    r = client.http.post(PATH, headers={"Content-Type": ctype}, body=body)
    assert r.status_code in (401, 403)


def test_certificate_downloads_with_the_authorization_header(client, aws, make_member, persona):
    """What wx.downloadFile does: GET with Authorization and Accept: application/pdf."""
    m = make_member("110000")
    aws.photos.put(f"photos/{m.member_no}.jpg", PHOTO)
    m.refresh()
    m.photo_key = f"photos/{m.member_no}.jpg"
    m.photo_status = "accepted"
    m.save()
    me = persona("member", "110000", member_no=m.member_no)
    r = client.http.get("/me/certificate", headers={"Authorization": f"Bearer {me.token}", "Accept": "application/pdf"})
    assert r.status_code == 200, r.body[:300]
    assert r.headers["Content-Type"] == "application/pdf" and r.body[:5] == b"%PDF-"


def test_meta_messages_is_public_and_holds_the_shared_texts(client):
    r = client.http.get("/meta/messages")
    assert r.status_code == 200
    texts = r.json_body["texts"]
    assert texts["match_success"] == "比对成功"
    assert texts["info_incomplete"] == "请您先将基础信息中的必填信息补充完整"
    assert len(texts["photo_requirements"]) == 4

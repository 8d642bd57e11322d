"""The upload trigger end to end through moto: presigned POST → S3 → SQS → the app's handler.

Face comparison runs on the real dlib engine with the shared fixtures (never moto's canned
Rekognition). Redelivery, review after repeated failures, staff tools and scopes are covered.
"""

from __future__ import annotations

import base64
import json

import pytest
import requests

from chalicelib import aws as aws_clients
from chalicelib.members.models import AuditModel, MemberModel
from chalicelib.photo.models import UploadModel
from chalicelib.photo.service import CONSENT_TEXT_VERSION
from tests.conftest import FACES

WHITE = FACES / "spec_white"


def _photo(name: str) -> bytes:
    return (WHITE / f"{name}.jpg").read_bytes()


@pytest.fixture()
def member_with_reference(aws, make_member):
    def _make(reference: str | None = "obama_02", association: str = "110000"):
        m = make_member(association)
        if reference:
            key = f"reference/{m.member_no}.jpg"
            aws.photos.put(key, _photo(reference))
            m.refresh()
            m.reference_key = key
            m.save()
        return m

    return _make


def aws_module_client(name: str):
    return aws_clients.client(name, "us-east-1")


def _drain(client, aws, *, deliveries: int = 1) -> int:
    """Receive every message and hand each to the handler `deliveries` times (redelivery)."""
    sqs = aws_module_client("sqs")
    url = sqs.get_queue_url(QueueName=aws.settings.photo_queue)["QueueUrl"]
    handled = 0
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            return handled
        for m in msgs:
            event = client.events.generate_sqs_event(message_bodies=[m["Body"]], queue_name=aws.settings.photo_queue)
            for _ in range(deliveries):
                client.lambda_.invoke("photo_check", event)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            handled += 1


def _upload(client, headers, path: str, data: bytes) -> str:
    r = client.http.post(path, headers=headers)
    assert r.status_code == 200, r.body
    post = r.json_body
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("photo.jpg", data, "image/jpeg")})
    assert resp.status_code in (200, 201, 204)
    return post["upload_id"]


def _consent(client, who):
    r = client.http.post("/me/photo/consent", headers=who.headers, body=json.dumps({"text_version": CONSENT_TEXT_VERSION}))
    assert r.status_code == 200, r.body


def test_upload_needs_separate_consent_first(client, persona, member_with_reference):
    m = member_with_reference()
    me = persona("member", "110000", member_no=m.member_no)
    r = client.http.post("/me/photo/uploads", headers=me.headers)
    assert r.status_code == 409 and r.json_body["code"] == "CONSENT_REQUIRED"
    _consent(client, me)
    assert MemberModel.get(m.member_no).face_consent.text_version == CONSENT_TEXT_VERSION


def test_presigned_post_policy_pins_key_type_and_size(client, persona, member_with_reference):
    m = member_with_reference()
    me = persona("member", "110000", member_no=m.member_no)
    _consent(client, me)
    post = client.http.post("/me/photo/uploads", headers=me.headers).json_body
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 10 * 1024, 20 * 1024] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert {"key": f"uploads/{m.member_no}/{post['upload_id']}.jpg"} in conditions


def test_same_person_is_accepted_and_redelivery_changes_nothing(client, aws, persona, member_with_reference):
    m = member_with_reference("obama_02")
    me = persona("member", "110000", member_no=m.member_no)
    _consent(client, me)
    r = client.http.get("/me/photo", headers=me.headers)
    assert r.status_code == 404 and r.json_body["message"] == "没有查询到照片信息"

    upload_id = _upload(client, me.headers, "/me/photo/uploads", _photo("obama_01"))
    status = client.http.get(f"/me/photo/uploads/{upload_id}", headers=me.headers).json_body
    assert status["status"] == "pending"

    assert _drain(client, aws, deliveries=3) >= 1  # moto also queues an s3:TestEvent
    status = client.http.get(f"/me/photo/uploads/{upload_id}", headers=me.headers).json_body
    assert status["status"] == "accepted" and status["message"] == "比对成功"
    assert "score" not in status  # scores are for staff only
    assert all(c["ok"] for c in status["checks"])
    member = MemberModel.get(m.member_no)
    assert member.photo_status == "accepted" and member.photo_key == f"photos/{m.member_no}.jpg"
    photo = client.http.get("/me/photo", headers={**me.headers, "Accept": "image/jpeg"})
    assert photo.status_code == 200 and photo.body[:2] == b"\xff\xd8"
    entries = [e for e in AuditModel.query(m.member_no) if e.action == "photo"]
    assert len(entries) == 1  # three deliveries, one result, one audit entry


def test_different_person_is_rejected_then_goes_to_review_after_five_failures(client, aws, persona,
                                                                               member_with_reference):
    m = member_with_reference("hopper_01")
    me = persona("member", "110000", member_no=m.member_no)
    _consent(client, me)
    statuses = []
    for _ in range(5):
        upload_id = _upload(client, me.headers, "/me/photo/uploads", _photo("obama_01"))
        _drain(client, aws)
        body = client.http.get(f"/me/photo/uploads/{upload_id}", headers=me.headers).json_body
        statuses.append((body["status"], body["attempts_left"]))
    assert [s for s, _ in statuses] == ["rejected"] * 4 + ["review"]
    assert [a for _, a in statuses][:4] == [4, 3, 2, 1]
    rejected = client.http.get(f"/me/photo/uploads/{upload_id}", headers=me.headers).json_body
    assert any(c["rule"] == "face_match" and not c["ok"] for c in rejected["checks"])

    bj = persona("association_staff", "110000")
    queue = client.http.get("/reviews", headers=bj.headers).json_body["items"]
    assert [i["review_id"] for i in queue] == [upload_id] and queue[0]["score"] is not None
    assert queue[0]["reason"] == "face_mismatch_repeated" and queue[0]["reason_text"] == "多次人脸比对未通过"
    sh = persona("association_staff", "310000")
    assert client.http.get("/reviews", headers=sh.headers).json_body["items"] == []
    assert client.http.post(f"/reviews/{upload_id}/accept", headers=sh.headers, body="{}").status_code == 404
    r = client.http.post(f"/reviews/{upload_id}/reject", headers=bj.headers, body="{}")
    assert r.status_code == 422
    r = client.http.post(f"/reviews/{upload_id}/accept", headers=bj.headers, body="{}")
    assert r.status_code == 200
    assert MemberModel.get(m.member_no).photo_status == "accepted"
    assert client.http.get("/reviews", headers=bj.headers).json_body["items"] == []


def test_no_reference_goes_to_review(client, aws, persona, member_with_reference):
    m = member_with_reference(None)
    me = persona("member", "110000", member_no=m.member_no)
    _consent(client, me)
    upload_id = _upload(client, me.headers, "/me/photo/uploads", _photo("obama_01"))
    _drain(client, aws)
    status = client.http.get(f"/me/photo/uploads/{upload_id}", headers=me.headers).json_body
    assert status["status"] == "review"
    assert MemberModel.get(m.member_no).photo_status == "review"
    # one state, one message: the member's words for this reason, and what happens next
    review = client.http.get("/me/photo/review", headers=me.headers).json_body
    assert review["in_review"] and review["reason"] == "no_reference"
    assert review["message"] == status["message"] and "全科合格照片" in review["message"]
    assert "请上传" not in review["message"] and "无需再次上传" in review["next"]
    image = client.http.get("/me/photo/review/image", headers={**me.headers, "Accept": "image/jpeg"})
    assert image.status_code == 200 and image.body[:2] == b"\xff\xd8"
    # staff read the actual reason in staff words (not "多次人脸比对未通过", not "您的")
    bj = persona("association_staff", "110000")
    item = client.http.get("/reviews", headers=bj.headers).json_body["items"][0]
    assert item["reason"] == "no_reference" and item["reason_text"] == "无全科合格照片,未能自动比对"
    assert "您" not in item["message"] and "多次" not in item["message"]


def test_spec_failure_is_rejected_with_every_reason(client, aws, persona, member_with_reference):
    m = member_with_reference("obama_02")
    me = persona("member", "110000", member_no=m.member_no)
    _consent(client, me)
    upload_id = _upload(client, me.headers, "/me/photo/uploads", (FACES / "spec" / "obama_01.jpg").read_bytes())
    _drain(client, aws)
    body = client.http.get(f"/me/photo/uploads/{upload_id}", headers=me.headers).json_body
    assert body["status"] == "rejected"
    assert {c["rule"] for c in body["checks"] if not c["ok"]} >= {"background"}
    assert int(MemberModel.get(m.member_no).failed_attempts) == 0  # spec failures are not face failures


def test_staff_upload_confirm_and_use_reference(client, aws, persona, member_with_reference):
    m = member_with_reference("obama_02")
    bj = persona("association_staff", "110000")
    r = client.http.get(f"/members/{m.member_no}/photo?kind=reference", headers={**bj.headers, "Accept": "image/jpeg"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    upload_id = _upload(client, bj.headers, f"/members/{m.member_no}/photo/uploads", _photo("obama_01"))
    _drain(client, aws)
    body = client.http.get(f"/members/{m.member_no}/photo/uploads/{upload_id}", headers=bj.headers).json_body
    assert body["status"] == "accepted" and body["score"] is not None
    assert MemberModel.get(m.member_no).photo_status == "none"  # staff confirm first
    r = client.http.post(f"/members/{m.member_no}/photo/uploads/{upload_id}/confirm", headers=bj.headers)
    assert r.status_code == 200
    assert MemberModel.get(m.member_no).photo_status == "accepted"

    other = member_with_reference("hopper_01")
    r = client.http.post(f"/members/{other.member_no}/photo/use-reference", headers=bj.headers)
    assert r.status_code == 200, r.body
    assert MemberModel.get(other.member_no).photo_status == "accepted"
    history = client.http.get(f"/members/{other.member_no}/history", headers=bj.headers)
    assert history.status_code == 200
    assert any(e["action"] == "photo" for e in history.json_body["items"])


def test_staff_confirm_of_a_face_mismatch_needs_a_written_override(client, aws, persona, member_with_reference):
    m = member_with_reference("hopper_01")
    bj = persona("association_staff", "110000")
    upload_id = _upload(client, bj.headers, f"/members/{m.member_no}/photo/uploads", _photo("obama_01"))
    _drain(client, aws)
    body = client.http.get(f"/members/{m.member_no}/photo/uploads/{upload_id}", headers=bj.headers).json_body
    match = next(c for c in body["checks"] if c["rule"] == "face_match")
    assert match["state"] == "failed" and not match["ok"]
    path = f"/members/{m.member_no}/photo/uploads/{upload_id}/confirm"
    r = client.http.post(path, headers=bj.headers, body=json.dumps({"override_reason": "  "}))
    assert r.status_code == 409 and r.json_body["code"] == "FACE_MISMATCH_OVERRIDE_REQUIRED"
    assert "人脸比对未通过" in r.json_body["message"]
    assert MemberModel.get(m.member_no).photo_status == "none"

    reason = "已电话核实本人,现场比对身份证件一致"
    r = client.http.post(path, headers=bj.headers, body=json.dumps({"override_reason": reason}))
    assert r.status_code == 200 and r.json_body["override"] is True
    assert MemberModel.get(m.member_no).photo_status == "accepted"
    items = client.http.get(f"/members/{m.member_no}/history", headers=bj.headers).json_body["items"]
    overrides = [e for e in items if e["action"] == "photo" and e["detail"].get("reason") == reason]
    assert len(overrides) == 1 and "人工确认为本人" in overrides[0]["detail"]["event"]


def test_staff_of_another_association_cannot_touch_photos(client, persona, member_with_reference):
    m = member_with_reference("obama_02")
    sh = persona("association_staff", "310000")
    nat = persona("national_staff", "100000")
    for who in (sh, nat):
        assert client.http.get(f"/members/{m.member_no}/photo?kind=reference", headers=who.headers).status_code == 404
        assert client.http.post(f"/members/{m.member_no}/photo/uploads", headers=who.headers).status_code == 404
        assert client.http.post(f"/members/{m.member_no}/photo/use-reference", headers=who.headers).status_code == 404


def test_prepare_fits_a_phone_portrait(client, persona, member_with_reference):
    m = member_with_reference()
    me = persona("member", "110000", member_no=m.member_no)
    raw = (FACES / "orig" / "obama_02.jpg").read_bytes()
    r = client.http.post("/me/photo/prepare", headers={**me.headers, "Content-Type": "image/jpeg"}, body=raw)
    assert r.status_code == 200, r.body
    body = r.json_body
    assert body["image"].startswith("data:image/jpeg;base64,")
    fitted = base64.b64decode(body["image"].split(",", 1)[1])
    assert 10 * 1024 <= len(fitted) <= 20 * 1024
    rules = {c["rule"]: c["ok"] for c in body["report"]["checks"]}
    assert rules["dimensions"] and rules["size_bytes"] and rules["dpi"]


def test_handler_raises_on_unreadable_object_so_sqs_retries(aws):
    from chalicelib.photo.service import S3Object, handle_uploaded

    MemberModel("110000000001", association="110000").save()
    UploadModel("u1", member_no="110000000001", association="110000", s3_key="uploads/110000000001/u1.jpg").save()
    # the key was handed out but nothing was stored under it: a transient state, so raise and retry
    with pytest.raises(RuntimeError, match="not readable"):
        handle_uploaded(aws, S3Object("uploads/110000000001/u1.jpg", "", ""))
    assert UploadModel.get("u1").status == "waiting"
    queue_attrs = aws_module_client("sqs").get_queue_attributes(
        QueueUrl=aws_module_client("sqs").get_queue_url(QueueName=aws.settings.photo_queue)["QueueUrl"],
        AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(queue_attrs["RedrivePolicy"])["maxReceiveCount"] in ("3", 3)


def test_prepare_is_rate_limited_per_member(client, persona, member_with_reference):
    from chalicelib.photo.service import PREPARE_PER_WINDOW

    m = member_with_reference()
    me = persona("member", "110000", member_no=m.member_no)
    headers = {**me.headers, "Content-Type": "image/jpeg"}
    for _ in range(PREPARE_PER_WINDOW):  # not a photo: answered at once, but still counted
        assert client.http.post("/me/photo/prepare", headers=headers, body=b"not a photo").status_code == 200
    r = client.http.post("/me/photo/prepare", headers=headers, body=b"not a photo")
    assert r.status_code == 429 and r.json_body["code"] == "PREPARE_RATE_LIMITED"
    assert 0 < int(r.headers["Retry-After"]) <= 600 and "秒后再试" in r.json_body["message"]


def test_member_uploads_are_rate_limited(client, persona, member_with_reference):
    from chalicelib.photo.service import UPLOADS_PER_HOUR

    m = member_with_reference()
    me = persona("member", "110000", member_no=m.member_no)
    _consent(client, me)
    for _ in range(UPLOADS_PER_HOUR):
        assert client.http.post("/me/photo/uploads", headers=me.headers).status_code == 200
    r = client.http.post("/me/photo/uploads", headers=me.headers)
    assert r.status_code == 429 and r.json_body["code"] == "UPLOAD_RATE_LIMITED"
    assert 0 < int(r.headers["Retry-After"]) <= 3600 and "秒后再试" in r.json_body["message"]


def test_the_review_queue_is_paged_with_a_cursor(client, persona, make_member):
    import uuid

    members = [make_member("110000") for _ in range(5)]
    for i, m in enumerate(members):
        UploadModel(uuid.uuid4().hex, member_no=m.member_no, association="110000", kind="member",
                    s3_key=f"uploads/{m.member_no}/x.jpg", status="review", review_association="110000",
                    created_at=f"2026-01-0{i + 1}T00:00:00.000Z").save()
    staff = persona("association_staff", "110000")
    seen, cursor, pages = [], None, 0
    while True:
        path = "/reviews?limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = client.http.get(path, headers=staff.headers)
        assert r.status_code == 200, r.body
        seen += [item["created_at"] for item in r.json_body["items"]]
        pages += 1
        cursor = r.json_body["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and seen == sorted(seen, reverse=True) and len(set(seen)) == 5
    bad = client.http.get("/reviews?cursor=garbage", headers=staff.headers)
    assert bad.status_code == 400
    assert client.http.get("/reviews?limit=0", headers=staff.headers).status_code == 400

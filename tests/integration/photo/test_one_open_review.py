"""At most one open review per member: a newer checked upload replaces the one still waiting
(moto, the real dlib engine). The replaced upload leaves the staff queue, cannot be decided any
more, and the member's history says it was replaced and by which upload.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.members.models import AuditModel, MemberModel
from chalicelib.photo.models import UploadModel
from chalicelib.photo.service import S3Object, handle_uploaded
from tests.conftest import FACES

WHITE = FACES / "spec_white"


def _uploaded(aws: Any, member_no: str, photo: str) -> tuple[str, S3Object]:
    upload_id = uuid.uuid4().hex
    key = f"uploads/{member_no}/{upload_id}.jpg"
    UploadModel(upload_id, member_no=member_no, association="110000", kind="member", s3_key=key).save()
    version = aws.photos.put(key, (WHITE / f"{photo}.jpg").read_bytes())
    return upload_id, S3Object(key, version or "", "")


def test_a_new_upload_replaces_the_one_waiting_for_review(client, aws, persona, make_member):
    m = make_member("110000")  # no exam photo on file: every upload goes to review
    other = make_member("110000")
    first, first_obj = _uploaded(aws, m.member_no, "obama_01")
    handle_uploaded(aws, first_obj)
    theirs, theirs_obj = _uploaded(aws, other.member_no, "obama_01")
    handle_uploaded(aws, theirs_obj)
    assert UploadModel.get(first, consistent_read=True).status == "review"

    second, second_obj = _uploaded(aws, m.member_no, "obama_02")
    handle_uploaded(aws, second_obj)
    handle_uploaded(aws, second_obj)  # a duplicate delivery changes nothing more

    old = UploadModel.get(first, consistent_read=True)
    assert old.status == "superseded" and old.review_association is None
    assert UploadModel.get(second, consistent_read=True).status == "review"
    assert UploadModel.get(theirs, consistent_read=True).status == "review"  # other members keep theirs
    assert MemberModel.get(m.member_no, consistent_read=True).photo_status == "review"

    staff = persona("association_staff", "110000")
    queue = client.http.get("/reviews", headers=staff.headers).json_body["items"]
    assert sorted(i["review_id"] for i in queue) == sorted([second, theirs])
    r = client.http.post(f"/reviews/{first}/accept", headers=staff.headers, body="{}")
    assert r.status_code == 404 and r.json_body["code"] == "REVIEW_NOT_FOUND"

    me = persona("member", "110000", member_no=m.member_no)
    assert client.http.get("/me/photo/review", headers=me.headers).json_body["upload_id"] == second
    status = client.http.get(f"/me/photo/uploads/{first}", headers=me.headers).json_body
    assert status["status"] == "superseded" and "新的照片" in status["message"]

    notes = [e.detail.as_dict() for e in AuditModel.query(m.member_no)
             if e.action == "photo" and e.detail.as_dict().get("replaced_by")]
    assert len(notes) == 1 and notes[0]["upload_id"] == first and notes[0]["replaced_by"] == second

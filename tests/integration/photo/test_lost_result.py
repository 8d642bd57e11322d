"""A photo result survives a handler that dies between its writes (moto, real dlib engine).

The handler writes two records for one checked upload: the member (photo status, photo key,
failed comparisons) and the upload's final result. Here the handler is killed after whichever
of the two it writes first; the redelivered SQS event must then finish the job, counting a
failed comparison once, and a further duplicate delivery must change nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.members import records
from chalicelib.members.models import AuditModel, MemberModel
from chalicelib.photo.models import UploadModel
from chalicelib.photo.service import S3Object, handle_uploaded
from tests.conftest import FACES

WHITE = FACES / "spec_white"


class Killed(Exception):
    """Stands for the Lambda being killed mid-way."""


class _Crash:
    """Lets the first of the two writes through, then kills the handler at the second one."""

    def __init__(self) -> None:
        self.writes = 0
        self.armed = True

    def write(self, real: Any, *args: Any, **kwargs: Any) -> Any:
        if self.armed and self.writes >= 1:
            self.armed = False
            raise Killed()
        out = real(*args, **kwargs)
        self.writes += 1
        return out


class _CrashingUploads:
    def __init__(self, inner: Any, crash: _Crash) -> None:
        self.inner, self.crash = inner, crash

    def get(self, upload_id: str, *, consistent: bool = False) -> UploadModel | None:
        return self.inner.get(upload_id, consistent=consistent)

    def save(self, upload: UploadModel) -> None:
        self.crash.write(self.inner.save, upload)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture()
def crash(aws: Any, monkeypatch: pytest.MonkeyPatch) -> _Crash:
    c = _Crash()
    monkeypatch.setattr(aws, "uploads", _CrashingUploads(aws.uploads, c))
    for name in ("photo_accepted", "photo_not_accepted"):
        real = getattr(records, name)
        monkeypatch.setattr(records, name, lambda *a, _real=real, **k: c.write(_real, *a, **k))
    return c


def _member_upload(aws: Any, make_member: Any, photo: str, *, reference: str = "obama_02",
                   failed_attempts: int = 0) -> tuple[MemberModel, str, S3Object]:
    m = make_member("110000")
    ref_key = f"reference/{m.member_no}.jpg"
    aws.photos.put(ref_key, (WHITE / f"{reference}.jpg").read_bytes())
    m.refresh()
    m.reference_key, m.failed_attempts = ref_key, failed_attempts
    m.save()
    upload_id = uuid.uuid4().hex
    key = f"uploads/{m.member_no}/{upload_id}.jpg"
    UploadModel(upload_id, member_no=m.member_no, association="110000", kind="member", s3_key=key).save()
    version = aws.photos.put(key, (WHITE / f"{photo}.jpg").read_bytes())
    return m, upload_id, S3Object(key, version or "", "")


def _photo_audits(member_no: str) -> int:
    return len([e for e in AuditModel.query(member_no) if e.action == "photo"])


def _deliver_with_crash(aws: Any, crash: _Crash, obj: S3Object) -> None:
    with pytest.raises(Killed):
        handle_uploaded(aws, obj)
    assert crash.writes == 1  # one of the two writes happened, the other did not
    handle_uploaded(aws, obj)  # the redelivery


def test_accepted_photo_survives_a_crash_between_the_writes(aws, make_member, crash):
    m, upload_id, obj = _member_upload(aws, make_member, "obama_01", failed_attempts=2)
    _deliver_with_crash(aws, crash, obj)

    member = MemberModel.get(m.member_no, consistent_read=True)
    assert member.photo_status == "accepted" and member.photo_key == f"photos/{m.member_no}.jpg"
    assert member.failed_attempts == 0
    upload = UploadModel.get(upload_id, consistent_read=True)
    assert upload.status == "accepted" and upload.attempts_left == aws.settings.face.max_failed_attempts
    assert _photo_audits(m.member_no) == 1

    handle_uploaded(aws, obj)  # a duplicate after success changes nothing
    again = MemberModel.get(m.member_no, consistent_read=True)
    assert (again.version, again.photo_version_id) == (member.version, member.photo_version_id)
    assert UploadModel.get(upload_id, consistent_read=True).version == upload.version
    assert _photo_audits(m.member_no) == 1


def test_failed_comparison_is_counted_once_across_a_crash(aws, make_member, crash):
    max_failed = aws.settings.face.max_failed_attempts
    # one attempt before the last: this failure is rejected (not sent to review) and leaves one
    m, upload_id, obj = _member_upload(aws, make_member, "obama_01", reference="hopper_01",
                                       failed_attempts=max_failed - 2)
    _deliver_with_crash(aws, crash, obj)

    member = MemberModel.get(m.member_no, consistent_read=True)
    assert member.failed_attempts == max_failed - 1 and member.photo_status == "rejected"
    upload = UploadModel.get(upload_id, consistent_read=True)
    assert upload.status == "rejected" and upload.attempts_left == 1
    assert upload.review_association is None
    assert _photo_audits(m.member_no) == 1

    handle_uploaded(aws, obj)
    again = MemberModel.get(m.member_no, consistent_read=True)
    assert again.failed_attempts == max_failed - 1 and again.version == member.version
    assert UploadModel.get(upload_id, consistent_read=True).version == upload.version


def test_the_next_upload_after_a_counted_failure_still_counts(aws, make_member):
    """The per-upload guard skips only the upload already applied, not the member's next one."""
    m, _, first = _member_upload(aws, make_member, "obama_01", reference="hopper_01")
    handle_uploaded(aws, first)
    upload_id = uuid.uuid4().hex
    key = f"uploads/{m.member_no}/{upload_id}.jpg"
    UploadModel(upload_id, member_no=m.member_no, association="110000", kind="member", s3_key=key).save()
    version = aws.photos.put(key, (WHITE / "obama_01.jpg").read_bytes())
    handle_uploaded(aws, S3Object(key, version or "", ""))
    assert MemberModel.get(m.member_no, consistent_read=True).failed_attempts == 2

"""One contract for the photo room's upload repository, run against the in-memory fake and
against moto.

What the rules rely on: a missing upload reads as None; a new upload saves once (version 1) with
its defaults ("waiting", no checks); a save under the version that was read moves it on, a stale
one (a duplicate queue delivery, a second review decision) is refused and changes nothing; the
review queue holds only the association's uploads that carry `review_association`, newest first,
and an upload leaves it when the decision clears that field.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.photo.models import UploadModel
from chalicelib.photo.repository import DynamoUploadRepository, StaleUpload
from tests.fakes import FakeUploadRepository

NO = "110000000001"


@pytest.fixture(params=["fake", "moto"])
def repo(request: Any) -> Any:
    if request.param == "fake":
        return FakeUploadRepository()
    request.getfixturevalue("aws")  # moto with the tables created and bound
    return DynamoUploadRepository()


def _new(upload_id: str = "u1", *, association: str = "110000", created_at: str = "2026-11-30T10:00:00.000Z",
         review: bool = False) -> UploadModel:
    upload = UploadModel(upload_id, member_no=NO, association=association, kind="member", actor=NO,
                         s3_key=f"uploads/{NO}/{upload_id}.jpg", created_at=created_at)
    if review:
        upload.status, upload.review_association = "review", association
    return upload


def _plain(value: Any) -> dict[str, Any]:
    return dict(value.as_dict()) if hasattr(value, "as_dict") else dict(value)


def test_a_missing_upload_reads_as_none(repo: Any) -> None:
    assert repo.get("nope") is None and repo.get("nope", consistent=True) is None


def test_a_new_upload_is_saved_at_version_1_with_its_defaults(repo: Any) -> None:
    repo.save(_new())
    got = repo.get("u1", consistent=True)
    assert got is not None and got.version == 1
    assert (got.status, list(got.checks or []), got.member_no, got.s3_key) == ("waiting", [], NO, f"uploads/{NO}/u1.jpg")


def test_a_second_new_upload_with_the_same_id_is_refused(repo: Any) -> None:
    repo.save(_new())
    with pytest.raises(StaleUpload):
        repo.save(_new())


def test_a_result_saved_under_the_read_version_reads_back(repo: Any) -> None:
    repo.save(_new())
    upload = repo.get("u1", consistent=True)
    upload.status, upload.score, upload.attempts_left = "rejected", 0.41, 2
    upload.checks = [{"rule": "face_match", "ok": False, "message": "比对未通过"}]  # type: ignore[list-item]
    repo.save(upload)
    again = repo.get("u1", consistent=True)
    assert (again.version, again.status, float(again.score), int(again.attempts_left)) == (2, "rejected", 0.41, 2)
    assert [_plain(c) for c in again.checks] == [{"rule": "face_match", "ok": False, "message": "比对未通过"}]


def test_a_stale_save_is_refused_and_changes_nothing(repo: Any) -> None:
    repo.save(_new(review=True))
    first, second = repo.get("u1", consistent=True), repo.get("u1", consistent=True)
    first.status, first.review_association = "accepted", None
    repo.save(first)
    second.status, second.review_association = "rejected", None
    with pytest.raises(StaleUpload):
        repo.save(second)
    stored = repo.get("u1", consistent=True)
    assert stored.status == "accepted" and stored.version == 2


def test_the_review_queue_holds_the_associations_waiting_uploads_newest_first(repo: Any) -> None:
    repo.save(_new("old", created_at="2026-11-30T09:00:00.000Z", review=True))
    repo.save(_new("new", created_at="2026-11-30T11:00:00.000Z", review=True))
    repo.save(_new("done", created_at="2026-11-30T10:00:00.000Z"))  # not waiting for review
    repo.save(_new("other", association="120000", review=True))
    assert [u.upload_id for u in repo.review_queue("110000")] == ["new", "old"]
    assert [u.upload_id for u in repo.review_queue("110000", limit=1)] == ["new"]
    assert [u.upload_id for u in repo.review_queue("120000")] == ["other"]
    assert repo.review_queue("310000") == []


def test_a_decided_upload_leaves_the_queue(repo: Any) -> None:
    repo.save(_new(review=True))
    upload = repo.get("u1", consistent=True)
    upload.status, upload.review_association = "accepted", None
    repo.save(upload)
    assert repo.review_queue("110000") == []


def test_a_members_open_reviews_are_the_uploads_still_waiting(repo: Any) -> None:
    repo.save(_new("waiting", review=True))
    repo.save(_new("done"))
    other = _new("elsewhere", review=True)
    other.member_no = "110000000002"
    repo.save(other)
    assert [u.upload_id for u in repo.open_reviews_of(NO)] == ["waiting"]
    upload = repo.get("waiting", consistent=True)
    upload.status, upload.review_association = "superseded", None
    repo.save(upload)
    assert repo.open_reviews_of(NO) == []

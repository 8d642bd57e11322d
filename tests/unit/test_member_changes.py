"""The named member changes of the photo and certificate rooms, on the in-memory repository:
the rules (attempt counting, an accepted photo staying accepted, retry on a concurrent save)
without moto, in milliseconds."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict
from chalicelib.members import records
from chalicelib.members.models import MemberModel
from tests.fakes import FakeMemberRepository, RacingMemberRepository

NO = "110000000001"


def _repo(repo: FakeMemberRepository | None = None, **fields: object) -> FakeMemberRepository:
    repo = repo or FakeMemberRepository()
    repo.save(MemberModel(NO, association="110000", name="张三", **fields))
    return repo


def test_a_face_mismatch_counts_one_attempt_and_marks_the_photo_rejected() -> None:
    repo = _repo()
    records.photo_not_accepted(NO, face_mismatch=True, in_review=False, repo=repo)
    records.photo_not_accepted(NO, face_mismatch=True, in_review=False, repo=repo)
    member = repo.get(NO)
    assert member.failed_attempts == 2 and member.photo_status == "rejected"


def test_a_spec_failure_costs_no_attempt_and_review_is_marked() -> None:
    repo = _repo()
    records.photo_not_accepted(NO, face_mismatch=False, in_review=True, repo=repo)
    member = repo.get(NO)
    assert member.failed_attempts == 0 and member.photo_status == "review"


def test_an_accepted_photo_stays_accepted_when_a_later_upload_fails() -> None:
    repo = _repo(photo_status="accepted", photo_key="photos/110000000001.jpg")
    records.photo_not_accepted(NO, face_mismatch=True, in_review=False, repo=repo)
    member = repo.get(NO)
    assert member.photo_status == "accepted" and member.failed_attempts == 1


def test_an_accepted_photo_resets_the_attempts() -> None:
    repo = _repo(failed_attempts=4, photo_status="rejected")
    records.photo_accepted(NO, "photos/110000000001.jpg", "v2", "2026-11-30T10:00:00.000Z", repo=repo)
    member = repo.get(NO)
    assert (member.photo_status, member.failed_attempts, member.photo_version_id) == ("accepted", 0, "v2")


def test_a_change_is_retried_when_someone_saved_first() -> None:
    repo = _repo(RacingMemberRepository(races=2))
    records.face_consent_given(NO, "2026-11-30T10:00:00.000Z", "v1", repo=repo)
    member = repo.get(NO)
    assert member.face_consent.at == "2026-11-30T10:00:00.000Z" and member.face_consent.text_version == "v1"
    assert member.name == "张三··"  # both concurrent saves kept, none lost


def test_a_member_that_keeps_changing_gives_a_version_conflict() -> None:
    repo = _repo(RacingMemberRepository(races=99))
    with pytest.raises(Conflict) as err:
        records.face_consent_given(NO, "2026-11-30T10:00:00.000Z", "v1", repo=repo)
    assert err.value.code == "VERSION_CONFLICT"


def test_a_certificate_issue_keeps_a_change_saved_after_the_member_was_read() -> None:
    repo = _repo()
    read = repo.get(NO)  # what the issuing request read
    other = repo.get(NO)
    other.name = "张三丰"
    repo.save(other)  # someone saves in between
    records.certificate_issued(read.member_no, "2026-11-30", "hash-1", repo=repo)
    member = repo.get(NO)
    assert (member.cert_issued_on, member.cert_content_hash, member.name) == ("2026-11-30", "hash-1", "张三丰")
    assert member.version == other.version + 1


def test_one_uploads_result_is_applied_once_and_remembers_the_count_before_it() -> None:
    repo = _repo(failed_attempts=1)
    records.photo_not_accepted(NO, face_mismatch=True, in_review=False, upload_id="u1", repo=repo)
    saved = repo.get(NO)
    records.photo_not_accepted(NO, face_mismatch=True, in_review=False, upload_id="u1", repo=repo)
    records.photo_accepted(NO, "photos/x.jpg", "v1", "2026-11-30T00:00:00Z", upload_id="u1", repo=repo)
    member = repo.get(NO)
    assert member.failed_attempts == 2 and member.photo_status == "rejected"
    assert member.version == saved.version  # the repeats saved nothing
    assert member.last_photo_upload_id == "u1" and member.failed_attempts_before_last == 1
    records.photo_not_accepted(NO, face_mismatch=True, in_review=False, upload_id="u2", repo=repo)
    member = repo.get(NO)
    assert member.failed_attempts == 3 and member.failed_attempts_before_last == 2

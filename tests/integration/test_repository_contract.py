"""One contract for the member repository, run against the in-memory fake and against moto.

What the rules rely on: a missing member reads as None; a new record saves once (version 1);
a save under the version that was read succeeds and moves the version on; a save under an older
version is refused (optimistic locking), and the stored record is then unchanged; setting
attributes writes them without a read, whatever the version, moves the version on (so a save
under the version read before is refused) and never creates a member.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.members import records
from chalicelib.members.models import MemberModel
from chalicelib.members.store import DynamoMemberRepository, StaleWrite
from tests.fakes import FakeMemberRepository

NO = "110000000001"


@pytest.fixture(params=["fake", "moto"])
def repo(request: Any) -> Any:
    if request.param == "fake":
        return FakeMemberRepository()
    request.getfixturevalue("aws")  # moto with the tables created and bound
    return DynamoMemberRepository()


def _new(name: str = "张三") -> MemberModel:
    return MemberModel(NO, association="110000", name=name, profile={"name": name})


def test_a_missing_member_reads_as_none(repo: Any) -> None:
    assert repo.get(NO) is None


def test_a_new_member_is_saved_at_version_1_and_reads_back(repo: Any) -> None:
    repo.save(_new())
    got = repo.get(NO, consistent=True)
    assert got is not None and got.version == 1 and got.name == "张三" and got.association == "110000"
    assert got.fields()["name"] == "张三"


def test_a_second_new_record_with_the_same_number_is_refused(repo: Any) -> None:
    repo.save(_new())
    with pytest.raises(StaleWrite):
        repo.save(_new("李四"))
    assert repo.get(NO, consistent=True).name == "张三"


def test_a_save_under_the_read_version_moves_the_version_on(repo: Any) -> None:
    repo.save(_new())
    member = repo.get(NO, consistent=True)
    member.failed_attempts = 2
    repo.save(member)
    again = repo.get(NO, consistent=True)
    assert again.version == 2 and again.failed_attempts == 2


def test_a_stale_save_is_refused_and_changes_nothing(repo: Any) -> None:
    repo.save(_new())
    first, second = repo.get(NO, consistent=True), repo.get(NO, consistent=True)
    first.photo_status = "accepted"
    repo.save(first)
    second.photo_status = "rejected"
    with pytest.raises(StaleWrite):
        repo.save(second)
    stored = repo.get(NO, consistent=True)
    assert stored.photo_status == "accepted" and stored.version == 2


def test_setting_attributes_keeps_the_rest_and_moves_the_version_on(repo: Any) -> None:
    repo.save(_new())
    before = repo.get(NO, consistent=True)
    before.name = "张三丰"
    repo.save(before)  # version 2, saved after the setter's caller read the member
    stale = repo.get(NO, consistent=True)
    repo.set_attributes(NO, {"cert_issued_on": "2026-11-30", "cert_content_hash": "hash-1"})
    stored = repo.get(NO, consistent=True)
    assert (stored.cert_issued_on, stored.cert_content_hash, stored.name) == ("2026-11-30", "hash-1", "张三丰")
    assert stored.version == 3 and stored.updated_at >= stale.updated_at
    assert stored.fields()["name"] == "张三"  # the profile is not touched
    stale.photo_status = "accepted"
    with pytest.raises(StaleWrite):  # whoever read version 2 must read again
        repo.save(stale)


def test_setting_attributes_of_a_missing_member_creates_nothing(repo: Any) -> None:
    with pytest.raises(MemberModel.DoesNotExist):
        repo.set_attributes(NO, {"cert_issued_on": "2026-11-30", "cert_content_hash": "hash-1"})
    assert repo.get(NO, consistent=True) is None


def test_a_certificate_issue_is_recorded_through_the_repository(repo: Any) -> None:
    repo.save(_new())
    records.certificate_issued(NO, "2026-11-30", "hash-1", repo=repo)
    records.certificate_issued(NO, "2026-12-01", "hash-2", repo=repo)
    stored = repo.get(NO, consistent=True)
    assert (stored.cert_issued_on, stored.cert_content_hash, stored.version) == ("2026-12-01", "hash-2", 3)

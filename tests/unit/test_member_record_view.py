"""The member record other rooms receive from `members.records` is a read-only value: setting a
field fails, and the profile it hands out is a copy, so no room changes a member by accident."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.members.models import FaceConsent, MemberModel
from chalicelib.members.records import ConsentSeen, MemberRecord


def _model() -> MemberModel:
    return MemberModel("110000000001", association="110000", name="张三", profile={"name": "张三", "email": "a@b.cn"},
                       photo_status="accepted", photo_key="photos/110000000001.jpg", failed_attempts=2,
                       face_consent=FaceConsent(at="2026-11-30T10:00:00.000Z", text_version="v1"))


def test_the_record_carries_what_the_other_rooms_read() -> None:
    record = MemberRecord.of(_model())
    assert (record.member_no, record.association, record.name, record.status) == ("110000000001", "110000", "张三", "active")
    assert (record.photo_status, record.photo_key, record.failed_attempts) == ("accepted", "photos/110000000001.jpg", 2)
    assert record.face_consent == ConsentSeen("2026-11-30T10:00:00.000Z", "v1")
    assert record.fields() == _model().fields()


def test_a_field_of_the_record_cannot_be_set() -> None:
    record = MemberRecord.of(_model())
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.photo_status = "rejected"  # type: ignore[misc]


def test_changing_the_handed_out_profile_changes_nothing() -> None:
    record = MemberRecord.of(_model())
    record.fields()["name"] = "李四"
    assert record.fields()["name"] == "张三"
    with pytest.raises(TypeError):
        record._fields["name"] = "李四"  # type: ignore[index]

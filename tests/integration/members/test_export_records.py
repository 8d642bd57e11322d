"""The export reads members as DynamoDB returns them, without building models: what it hands the
workbook is exactly `views.record` of the same members, whatever their records hold."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.members import records, views
from chalicelib.members.models import FaceConsent, MemberModel


def _odd_members(make_member: Any) -> list[MemberModel]:
    """Members in every state the record shows: plain, incomplete, suspended with a reason, with
    photos, numbers and NULLs in the profile, no profile at all, a formula-like and a control
    character in a field, a version moved on."""
    plain = make_member("110000")
    incomplete = make_member("110000", complete=False)
    suspended = make_member("110000", status="suspended")
    suspended.update(actions=[MemberModel.status_reason.set("欠费"), MemberModel.status_changed_at.set("2026-05-01"),
                              MemberModel.photo_key.set("p/1.jpg"), MemberModel.reference_key.set("r/1.jpg"),
                              MemberModel.photo_status.set("accepted"),
                              MemberModel.face_consent.set(FaceConsent(at="2026-01-01", text_version="v1"))])
    odd = make_member("110000")
    odd.update(actions=[MemberModel.profile["qq"].set(12345), MemberModel.profile["employer"].set(None),
                        MemberModel.profile["address"].set("=HYPERLINK(\"x\")\u0001"),
                        MemberModel.status.set(""), MemberModel.photo_status.set("")])
    bare = make_member("110000")
    bare.update(actions=[MemberModel.profile.remove(), MemberModel.status.remove()])
    return [plain, incomplete, suspended, odd, bare]


def test_export_records_are_views_record_of_the_same_members(aws: Any, make_member: Any) -> None:
    members = _odd_members(make_member)
    other = make_member("120000")
    numbers = [m.member_no for m in members]
    wanted = [*reversed(numbers), other.member_no, "110000999999", numbers[0]]
    expected = [views.record(MemberModel.get(n)) for n in reversed(numbers)] + [views.record(MemberModel.get(numbers[0]))]
    assert records.export_records("110000", wanted) == expected
    assert expected[0]["version"] == 2 and expected[0]["status"] == "active" and expected[0]["name"] == ""


def test_an_item_read_directly_is_its_record(aws: Any, make_member: Any) -> None:
    members = _odd_members(make_member)
    plain, odd = (MemberModel.get(members[i].member_no).serialize() for i in (0, 3))
    assert views._record_of_plain_item(plain) == views.record_of_item(plain)  # read directly
    with pytest.raises(views._Unusual):  # a number in the profile: the model reads it
        views._record_of_plain_item(odd)
    for m in members:
        item = MemberModel.get(m.member_no).serialize()
        assert views.record_of_item(item) == views.record(MemberModel.from_raw_data(item))
        projected = {k: v for k, v in item.items() if k in views.RECORD_ATTRIBUTES}
        assert views.record_of_item(projected) == views.record(MemberModel.from_raw_data(item))
    # a shape the direct reading leaves to the model (a number where text is kept)
    item = {**MemberModel.get(m.member_no).serialize(), "status_reason": {"N": "5"}}
    try:
        expected: Any = views.record(MemberModel.from_raw_data(item))
    except Exception as exc:  # the model refuses it: so does the direct reading
        expected = type(exc)
    try:
        got: Any = views.record_of_item(item)
    except Exception as exc:
        got = type(exc)
    assert got == expected


def test_numbers_matching_reads_the_numbers_in_order(aws: Any, make_member: Any) -> None:
    members = [make_member("110000", complete=c) for c in (True, False, True)]
    make_member("120000")
    numbers = sorted(m.member_no for m in members)
    assert records.numbers_matching("110000", {}) == numbers
    complete = sorted(m.member_no for m in members if m.complete)
    assert records.numbers_matching("110000", {}, only_complete=True) == complete
    assert records.numbers_matching("110000", {"complete": "false"}) == sorted(set(numbers) - set(complete))
    assert records.numbers_matching("110000", {"q": numbers[1]}) == [numbers[1]]

"""PynamoDB models against moto: versions, indexes, counters under concurrency, TTL items."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.auth.models import EphemeralModel
from chalicelib.members import numbers
from chalicelib.members.models import MemberModel


def test_member_numbers_are_unique_under_concurrency(aws):
    with ThreadPoolExecutor(max_workers=16) as pool:
        allocated = list(pool.map(lambda _: numbers.allocate_one("110000"), range(50)))
    assert len(set(allocated)) == 50
    assert all(n.startswith("110000") and len(n) == 12 for n in allocated)
    assert sorted(allocated) == [f"110000{i:06d}" for i in range(1, 51)]


def test_counters_are_per_association(aws):
    assert numbers.allocate_one("310000") == "310000000001"
    assert numbers.allocate_one("110000") == "110000000001"


def test_stale_version_is_refused(aws, make_member):
    m = make_member()
    a, b = MemberModel.get(m.member_no), MemberModel.get(m.member_no)
    a.name = "甲"
    a.save()
    b.name = "乙"
    with pytest.raises(PutError):
        b.save()
    with pytest.raises(UpdateError):
        b.update(actions=[MemberModel.name.set("丙")])
    assert MemberModel.get(m.member_no).name == "甲"


def test_list_by_association_pages_with_a_cursor(aws, make_member):
    made = {make_member("110000").member_no for _ in range(7)}
    make_member("310000")
    seen, last = [], None
    while True:
        page = MemberModel.by_association.query("110000", limit=3, last_evaluated_key=last)
        seen += [m.member_no for m in page]
        last = page.last_evaluated_key
        if not last:
            break
    assert sorted(seen) == sorted(made)


def test_find_by_id_number(aws, make_member):
    m = make_member()
    key = MemberModel.make_id_key(m.profile["id_type"], m.profile["id_number"])
    hits = list(MemberModel.by_id_number.query(key))
    assert [h.member_no for h in hits] == [m.member_no]


def test_ephemeral_items_know_when_they_expired(aws):
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    EphemeralModel("captcha#x", data={"h": "1"}, expires_at=past).save()
    assert EphemeralModel.get("captcha#x").expired()

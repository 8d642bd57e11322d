"""One contract for the auth repository, run against the in-memory fake and against moto.

What the rules rely on: accounts are created once (a second one with the same id is refused and
the first is kept) and updated in place, the caller's object then holding the new values;
short-lived items read back with their data and expiry, are taken by one caller only, and their
counters add atomically only while the item exists (and, when asked, has not expired), while a
new counter replaces only an expired one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.auth.models import AccountModel
from chalicelib.auth.repository import AccountExists, DynamoAuthRepository
from tests.fakes import FakeAuthRepository

ID = AccountModel.key("member", "110000000001")


@pytest.fixture(params=["fake", "moto"])
def repo(request: Any) -> Any:
    if request.param == "fake":
        return FakeAuthRepository()
    request.getfixturevalue("aws")  # moto with the tables created and bound
    return DynamoAuthRepository()


def _account(name: str = "张三", password_hash: str = "h1") -> AccountModel:
    return AccountModel(ID, user_type="member", username="110000000001", role="member",
                        association="110000", member_no="110000000001", display_name=name,
                        password_hash=password_hash, must_change_password=True)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


# -- accounts ------------------------------------------------------------------------------------

def test_a_missing_account_reads_as_none(repo: Any) -> None:
    assert repo.get_account(ID) is None and repo.get_account(ID, consistent=False) is None


def test_an_added_account_reads_back(repo: Any) -> None:
    repo.add_account(_account())
    got = repo.get_account(ID)
    assert got is not None
    assert (got.display_name, got.password_hash, got.must_change_password, got.disabled) == ("张三", "h1", True, False)
    assert got.tokens_valid_after == 0 and got.association == "110000"


def test_a_second_account_with_the_same_id_is_refused_and_the_first_kept(repo: Any) -> None:
    repo.add_account(_account())
    with pytest.raises(AccountExists):
        repo.add_account(_account("李四", "h2"))
    assert repo.get_account(ID).password_hash == "h1"


def test_put_replaces_an_account(repo: Any) -> None:
    repo.add_account(_account())
    repo.put_account(_account("李四", "h2"))
    assert repo.get_account(ID).display_name == "李四"


def test_an_update_is_stored_and_seen_by_the_caller(repo: Any) -> None:
    repo.add_account(_account())
    account = repo.get_account(ID)
    repo.update_account(account, password_hash="h9", must_change_password=False, tokens_valid_after=1234)
    assert (account.password_hash, account.must_change_password, account.tokens_valid_after) == ("h9", False, 1234)
    again = repo.get_account(ID)
    assert (again.password_hash, again.must_change_password, again.tokens_valid_after) == ("h9", False, 1234)
    assert again.display_name == "张三"  # untouched attributes stay


# -- short-lived items ---------------------------------------------------------------------------

def test_a_missing_item_reads_as_none(repo: Any) -> None:
    assert repo.get_item("captcha#x") is None and repo.get_item("captcha#x", consistent=False) is None


def test_an_item_reads_back_with_its_data_and_expiry(repo: Any) -> None:
    expires = _now() + timedelta(minutes=5)
    repo.put_item("reset#a", {"h": "digest", "tries": 0}, expires)
    item = repo.get_item("reset#a")
    assert item.data["h"] == "digest" and int(item.data["tries"]) == 0
    assert item.expires_at == expires and not item.expired()


def test_an_item_past_its_expiry_reads_as_expired(repo: Any) -> None:
    repo.put_item("deny#j", {"revoked": True}, _now() - timedelta(seconds=5))
    item = repo.get_item("deny#j")
    assert item is not None and item.expired()


def test_an_item_is_taken_once(repo: Any) -> None:
    repo.put_item("captcha#c", {"h": "x"}, _now() + timedelta(minutes=5))
    assert repo.take_item("captcha#c") is True
    assert repo.take_item("captcha#c") is False
    assert repo.get_item("captcha#c") is None


def test_deleting_a_missing_item_is_no_error(repo: Any) -> None:
    repo.delete_item("fail#acct#nobody")
    repo.put_item("fail#acct#a", {"n": 1}, _now() + timedelta(minutes=5))
    repo.delete_item("fail#acct#a")
    assert repo.get_item("fail#acct#a") is None


def test_adding_to_a_missing_item_gives_none_and_creates_nothing(repo: Any) -> None:
    assert repo.add_to_item("reset#a", "tries", 1) is None
    assert repo.get_item("reset#a") is None


def test_adding_counts_up_and_keeps_the_other_fields(repo: Any) -> None:
    repo.put_item("reset#a", {"h": "digest", "tries": 0}, _now() + timedelta(minutes=5))
    assert repo.add_to_item("reset#a", "tries", 1) == 1
    assert repo.add_to_item("reset#a", "tries", 1, alive_at=_now()) == 2
    item = repo.get_item("reset#a")
    assert int(item.data["tries"]) == 2 and item.data["h"] == "digest"


def test_adding_to_an_item_expired_by_then_gives_none(repo: Any) -> None:
    repo.put_item("rate#x#ip", {"n": 3}, _now() + timedelta(seconds=30))
    assert repo.add_to_item("rate#x#ip", "n", 1, alive_at=_now() + timedelta(seconds=60)) is None
    assert int(repo.get_item("rate#x#ip").data["n"]) == 3


def test_create_wins_only_over_nothing_or_an_expired_item(repo: Any) -> None:
    now = _now()
    assert repo.create_item("rate#x#ip", {"n": 1}, now + timedelta(minutes=1), replacing_expired_at=now) is True
    assert repo.create_item("rate#x#ip", {"n": 7}, now + timedelta(minutes=1), replacing_expired_at=now) is False
    assert int(repo.get_item("rate#x#ip").data["n"]) == 1
    later = now + timedelta(minutes=2)  # the first window has ended by then
    assert repo.create_item("rate#x#ip", {"n": 1, "until": 0}, later + timedelta(minutes=1),
                            replacing_expired_at=later) is True
    item = repo.get_item("rate#x#ip")
    assert item.data.as_dict() == {"n": 1, "until": 0} and item.expires_at == later + timedelta(minutes=1)


def test_update_sets_fields_and_expiry_keeping_the_rest(repo: Any) -> None:
    now = _now()
    repo.put_item("fail#ip#1.2.3.4", {"n": 6, "until": 0}, now + timedelta(hours=1))
    repo.update_item("fail#ip#1.2.3.4", {"until": 1700000000.5}, now + timedelta(hours=2))
    item = repo.get_item("fail#ip#1.2.3.4")
    assert int(item.data["n"]) == 6 and float(item.data["until"]) == 1700000000.5
    assert item.expires_at == now + timedelta(hours=2)

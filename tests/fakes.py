"""In-memory fakes of the rooms' repositories, for unit tests that need no moto.

Each fake keeps the same contract as the DynamoDB implementation; tests/integration/
test_repository_contract.py runs one suite against both, so a rule tested on the fake holds on
the real table too.
"""

from __future__ import annotations

import copy
import time
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import quote

from chalicelib.auth.models import AccountModel, EphemeralModel
from chalicelib.auth.repository import AccountExists
from chalicelib.cert.repository import check_cache_id, pdf_key
from chalicelib.db import utcnow_iso
from chalicelib.members.models import MemberModel
from chalicelib.members.store import StaleWrite
from chalicelib.photo.models import UploadModel
from chalicelib.photo.repository import StaleUpload


class FakeMemberRepository:
    """Members in a dict, saved under their version like PynamoDB's VersionAttribute."""

    def __init__(self) -> None:
        self._items: dict[str, dict] = {}
        self.saves = 0

    def _copy(self, data: dict) -> MemberModel:
        return MemberModel.from_raw_data(data)

    def get(self, member_no: str, *, consistent: bool = False) -> MemberModel | None:
        data = self._items.get(member_no)
        return self._copy(data) if data is not None else None

    def save(self, member: MemberModel) -> None:
        stored = self._items.get(member.member_no)
        stored_version = int(stored["version"]["N"]) if stored is not None else None
        if stored_version != (int(member.version) if member.version is not None else None):
            raise StaleWrite(member.member_no)
        member.version = (stored_version or 0) + 1
        self._items[member.member_no] = member.serialize()
        self.saves += 1

    def set_attributes(self, member_no: str, values: Mapping[str, str]) -> None:
        member = self.get(member_no)
        if member is None:
            raise MemberModel.DoesNotExist()
        for name, value in values.items():
            setattr(member, name, value)
        member.updated_at = utcnow_iso()
        member.version = int(member.version or 0) + 1
        self._items[member_no] = member.serialize()


class RacingMemberRepository(FakeMemberRepository):
    """A fake where another writer saves first, `races` times, between a read and a save."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def save(self, member: MemberModel) -> None:
        other = self.get(member.member_no)
        if self.races > 0 and other is not None:
            self.races -= 1
            other.name = (other.name or "") + "·"
            super().save(other)
        super().save(member)


class FakeAuthRepository:
    """Accounts and short-lived items in dicts, stored serialized as DynamoDB would keep them
    (so expiry times have whole seconds and numbers come back as numbers)."""

    def __init__(self) -> None:
        self._accounts: dict[str, dict] = {}
        self._items: dict[str, dict] = {}

    # -- accounts
    def get_account(self, account_id: str, *, consistent: bool = True) -> AccountModel | None:
        data = self._accounts.get(account_id)
        return AccountModel.from_raw_data(copy.deepcopy(data)) if data is not None else None

    def add_account(self, account: AccountModel) -> None:
        if account.account_id in self._accounts:
            raise AccountExists(account.account_id)
        self.put_account(account)

    def put_account(self, account: AccountModel) -> None:
        self._accounts[account.account_id] = account.serialize()

    def update_account(self, account: AccountModel, **changes: Any) -> None:
        stored = self.get_account(account.account_id) or AccountModel(account.account_id)
        for name, value in changes.items():
            setattr(stored, name, value)
        self._accounts[account.account_id] = stored.serialize()
        for name in stored.get_attributes():
            setattr(account, name, getattr(stored, name))

    # -- short-lived items
    def _item(self, key: str) -> EphemeralModel | None:
        data = self._items.get(key)
        return EphemeralModel.from_raw_data(copy.deepcopy(data)) if data is not None else None

    def _store(self, item: EphemeralModel) -> None:
        self._items[item.key] = item.serialize()

    def get_item(self, key: str, *, consistent: bool = True) -> EphemeralModel | None:
        return self._item(key)

    def put_item(self, key: str, data: Mapping[str, Any], expires_at: datetime) -> None:
        self._store(EphemeralModel(key, data=dict(data), expires_at=expires_at))

    def take_item(self, key: str) -> bool:
        return self._items.pop(key, None) is not None

    def delete_item(self, key: str) -> None:
        self._items.pop(key, None)

    def add_to_item(self, key: str, field: str, amount: int = 1, *,
                    alive_at: datetime | None = None) -> int | None:
        item = self._item(key)
        if item is None or (alive_at is not None and item.expires_at <= alive_at):
            return None
        data = item.data.as_dict()
        data[field] = data.get(field, 0) + amount
        self._store(EphemeralModel(key, data=data, expires_at=item.expires_at))
        return int(data[field])

    def create_item(self, key: str, data: Mapping[str, Any], expires_at: datetime, *,
                    replacing_expired_at: datetime) -> bool:
        item = self._item(key)
        if item is not None and item.expires_at > replacing_expired_at:
            return False
        self.put_item(key, data, expires_at)
        return True

    def update_item(self, key: str, data: Mapping[str, Any], expires_at: datetime) -> None:
        item = self._item(key)
        merged = {**(item.data.as_dict() if item is not None else {}), **data}
        self.put_item(key, merged, expires_at)


class FakeUploadRepository:
    """Uploads in a dict, saved under their version like PynamoDB's VersionAttribute; the review
    queue is every upload that carries `review_association`, newest first."""

    def __init__(self) -> None:
        self._items: dict[str, dict] = {}

    def get(self, upload_id: str, *, consistent: bool = False) -> UploadModel | None:
        data = self._items.get(upload_id)
        return UploadModel.from_raw_data(copy.deepcopy(data)) if data is not None else None

    def save(self, upload: UploadModel) -> None:
        stored = self._items.get(upload.upload_id)
        stored_version = int(stored["version"]["N"]) if stored is not None else None
        if stored_version != (int(upload.version) if upload.version is not None else None):
            raise StaleUpload(upload.upload_id)
        upload.version = (stored_version or 0) + 1
        self._items[upload.upload_id] = upload.serialize()

    def review_queue(self, association: str, *, limit: int = 200,
                     after: tuple[str, str] | None = None) -> list[UploadModel]:
        waiting = [u for u in map(UploadModel.from_raw_data, copy.deepcopy(list(self._items.values())))
                   if u.review_association == association]
        ordered = sorted(waiting, key=lambda u: (u.created_at, u.upload_id), reverse=True)
        if after is not None:
            ordered = [u for u in ordered if (u.created_at, u.upload_id) < after]
        return ordered[:limit]

    def open_reviews_of(self, member_no: str) -> list[UploadModel]:
        return [u for u in map(UploadModel.from_raw_data, copy.deepcopy(list(self._items.values())))
                if u.member_no == member_no and u.review_association]


class FakeCertificateRepository:
    """Cached certificates and seals in dicts; a link is a `memory://` URL naming the PDF, the
    file name and, like a presigned S3 link, the moment it expires."""

    def __init__(self) -> None:
        self.pdfs: dict[str, bytes] = {}
        self.seals: dict[str, bytes] = {}

    def get_pdf(self, cache_id: str) -> bytes | None:
        return self.pdfs.get(check_cache_id(cache_id))

    def put_pdf(self, cache_id: str, pdf: bytes) -> None:
        self.pdfs[check_cache_id(cache_id)] = bytes(pdf)

    def pdf_link(self, cache_id: str, *, expires_in: int, filename: str) -> str:
        return f"memory://bucket/{pdf_key(cache_id)}?filename={quote(filename)}&Expires={int(time.time()) + expires_in}"

    def get_seal(self, association: str) -> bytes | None:
        return self.seals.get(association)

    def put_seal(self, association: str, png: bytes) -> None:
        self.seals[association] = bytes(png)

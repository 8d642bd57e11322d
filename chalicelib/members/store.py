"""Member writes that the PynamoDB models do not give us directly.

- `update_member_record(member_no, mutate)`: read-modify-write under the member's version, retried
  when someone saved first (the named changes in `records` for the photo and certificate rooms).
- `MemberRepository.set_attributes`: one conditional UpdateItem for a change that depends on
  nothing else in the record (no read first, nothing to retry).
- `transaction()`: a TransactWrite on the models' own endpoint (PynamoDB needs a connection).
"""

from __future__ import annotations

from typing import Callable, Mapping, Protocol

from pynamodb.connection import Connection
from pynamodb.constants import NONE
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.db import condition_failed, utcnow_iso
from chalicelib.errors import Conflict
from chalicelib.members.models import MemberModel


def transaction() -> TransactWrite:
    """On the members model's own connection (a new one would build a new botocore client, its
    service model parsed again, each time)."""
    connection: Connection = MemberModel._get_connection().connection
    return TransactWrite(connection=connection)


class StaleWrite(Exception):
    """Someone saved the member after it was read (its version moved on)."""


class MemberRepository(Protocol):
    """Where member records are read and saved under their version (optimistic locking)."""

    def get(self, member_no: str, *, consistent: bool = False) -> MemberModel | None: ...

    def save(self, member: MemberModel) -> None:
        """Save under `member.version` (None: must be new); the version then goes up by one.
        Raises `StaleWrite` if the stored version is not the one that was read."""
        ...

    def set_attributes(self, member_no: str, values: Mapping[str, str]) -> None:
        """Set these top-level attributes and `updated_at` in one write, without reading first,
        whatever version is stored; the version still goes up by one, so a save by someone who
        read the member before is refused as for any change. Raises `MemberModel.DoesNotExist`
        (and writes nothing) if there is no such member."""
        ...


class DynamoMemberRepository:
    """The members table through PynamoDB (its VersionAttribute gives the condition)."""

    def get(self, member_no: str, *, consistent: bool = False) -> MemberModel | None:
        try:
            return MemberModel.get(member_no, consistent_read=consistent)
        except DoesNotExist:
            return None

    def save(self, member: MemberModel) -> None:
        try:
            member.save()
        except PutError as exc:
            if condition_failed(exc):
                raise StaleWrite(member.member_no) from None
            raise

    def set_attributes(self, member_no: str, values: Mapping[str, str]) -> None:
        attributes = MemberModel.get_attributes()
        actions = [attributes[name].set(value) for name, value in values.items()]
        actions += [MemberModel.updated_at.set(utcnow_iso()), MemberModel.version.add(1)]
        # The table connection rather than `Model.update`: that one always asks for the whole
        # updated item back (ALL_NEW) and parses it, twice the work of the write itself here.
        try:
            MemberModel._get_connection().update_item(member_no, actions=actions, return_values=NONE,
                                                      condition=MemberModel.member_no.exists())
        except UpdateError as exc:
            if condition_failed(exc):  # no such member: an update must not create one
                raise MemberModel.DoesNotExist() from None
            raise


DYNAMO = DynamoMemberRepository()


def update_member_record(member_no: str, mutate: Callable[[MemberModel], bool | None], attempts: int = 5,
                         *, repo: MemberRepository = DYNAMO) -> MemberModel:
    """Read-modify-write under the member's version; re-read and retry if someone saved first.
    A `mutate` that returns False found nothing to change: the member is returned unsaved."""
    for _ in range(attempts):
        member = repo.get(member_no, consistent=True)
        if member is None:
            raise MemberModel.DoesNotExist()
        if mutate(member) is False:
            return member
        member.updated_at = utcnow_iso()
        try:
            repo.save(member)
            return member
        except StaleWrite:
            continue
    raise Conflict("会员记录正被频繁修改,请稍后再试", code="VERSION_CONFLICT")

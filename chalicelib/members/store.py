"""Member writes that the PynamoDB models do not give us directly.

- `update_member_record(member_no, mutate)`: read-modify-write under the member's version, retried
  when someone saved first (the named changes in `records` for the photo and certificate rooms).
- `transaction()`: a TransactWrite on the models' own endpoint (PynamoDB needs a connection).
"""

from __future__ import annotations

from typing import Callable

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError
from pynamodb.transactions import TransactWrite

from chalicelib.db import condition_failed, utcnow_iso
from chalicelib.errors import Conflict
from chalicelib.members.models import MemberModel


def transaction() -> TransactWrite:
    return TransactWrite(connection=Connection(region=MemberModel.Meta.region, host=getattr(MemberModel.Meta, "host", None) or None))


def update_member_record(member_no: str, mutate: Callable[[MemberModel], None], attempts: int = 5) -> MemberModel:
    """Read-modify-write under the member's version; re-read and retry if someone saved first."""
    for _ in range(attempts):
        member = MemberModel.get(member_no, consistent_read=True)
        mutate(member)
        member.updated_at = utcnow_iso()
        try:
            member.save()
            return member
        except PutError as exc:
            if not condition_failed(exc):
                raise
    raise Conflict("会员记录正被频繁修改,请稍后再试", code="VERSION_CONFLICT")

"""Member numbers: 6-digit association code + 6-digit sequence from an atomic counter.

The counter is a DynamoDB `ADD` on one item per association, so concurrent approvals and
imports never hand out the same number (never "max + 1").
"""

from __future__ import annotations

from chalicelib.errors import Conflict
from chalicelib.members.models import CounterModel

SEQUENCE_MAX = 999_999


def allocate(association: str, count: int = 1) -> list[str]:
    """Reserve `count` consecutive numbers for `association` in one atomic update."""
    counter = CounterModel(f"member_no#{association}")
    counter.update(actions=[CounterModel.value.add(count)])
    last = int(counter.value)
    if last > SEQUENCE_MAX:
        raise Conflict("该协会的会员编号已用尽,请联系系统管理员", code="MEMBER_NO_EXHAUSTED")
    return [f"{association}{seq:06d}" for seq in range(last - count + 1, last + 1)]


def allocate_one(association: str) -> str:
    return allocate(association, 1)[0]

"""Who may see which member: the one scope rule every route goes through
(a member sees only self, staff only their association, national staff only overseas members).

A member sees only themself; association staff only members of their association; national
staff only overseas members (the national association code). Anything out of scope is reported
as not found, so member numbers cannot be probed.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import NotFound
from chalicelib.members.models import MemberModel
from chalicelib.principal import MEMBER, STAFF, Principal, is_member_no

MEMBER_NOT_FOUND = "未找到该会员"


def can_access(principal: Principal, member: MemberModel) -> bool:
    if principal.role == MEMBER:
        return bool(principal.member_no) and member.member_no == principal.member_no
    if principal.role in STAFF:
        return bool(principal.association) and member.association == principal.association
    return False


def managed_association(principal: Principal) -> str:
    """The association whose members a staff principal manages (national staff: overseas)."""
    if principal.role not in STAFF or not principal.association:
        raise NotFound(MEMBER_NOT_FOUND, code="MEMBER_NOT_FOUND")
    return principal.association


def get_member(principal: Principal, member_no: str, *, consistent: bool = False) -> MemberModel:
    """The member if `principal` may see it; 404 otherwise (also for malformed numbers)."""
    if not is_member_no(member_no):
        raise NotFound(MEMBER_NOT_FOUND, code="MEMBER_NOT_FOUND")
    try:
        member = MemberModel.get(member_no, consistent_read=consistent)
    except DoesNotExist:
        raise NotFound(MEMBER_NOT_FOUND, code="MEMBER_NOT_FOUND") from None
    if not can_access(principal, member):
        raise NotFound(MEMBER_NOT_FOUND, code="MEMBER_NOT_FOUND")
    return member


def get_self(principal: Principal, *, consistent: bool = False) -> MemberModel:
    if principal.role != MEMBER:
        raise NotFound(MEMBER_NOT_FOUND, code="MEMBER_NOT_FOUND")
    return get_member(principal, principal.member_no, consistent=consistent)

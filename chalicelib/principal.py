"""Who is calling: the principal and the role names.

Both the HTTP layer (which builds a `Principal` from the token authorizer's context) and the
domain (which decides scope from it: a member sees only self, staff only their association)
need these, so they live here rather than in either; this module imports nothing of ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MEMBER = "member"
ASSOCIATION_STAFF = "association_staff"
NATIONAL_STAFF = "national_staff"
STAFF = (ASSOCIATION_STAFF, NATIONAL_STAFF)
ANY_SIGNED_IN = (MEMBER, ASSOCIATION_STAFF, NATIONAL_STAFF)

# A member number: the 6-digit association code and a 6-digit sequence.
_MEMBER_NO = re.compile(r"^[0-9]{12}$")


def is_member_no(value: object) -> bool:
    """True for a well-formed 12-digit member number (ASCII digits only)."""
    return isinstance(value, str) and _MEMBER_NO.fullmatch(value) is not None


@dataclass(frozen=True)
class Principal:
    """Who is calling, as established by the token authorizer."""

    username: str
    role: str
    association: str
    member_no: str = ""
    must_change_password: bool = False
    jti: str = ""
    exp: int = 0

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def actor(self) -> str:
        return self.member_no if self.role == MEMBER else self.username

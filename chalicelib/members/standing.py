"""Whether a member may use the photo and certificate features, and what to tell them if not.

A suspended or cancelled member can never receive a certificate, so the system must not collect
their face data (consent, uploads, the auto-fix) or lead them into the certificate flow. Every
refusal uses the one code `NOT_ACTIVE` with a message naming the status, what it means and whom
to contact; `GET /me` carries the same words so both clients show a status screen instead.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.errors import Conflict
from chalicelib.members.schema import ASSOCIATION_NAMES, MEMBER_STATUS_LABELS, NATIONAL_CODE

ACTIVE = "active"

MEANINGS: dict[str, str] = {
    "suspended": "会籍暂停期间,不能上传照片,也不能下载电子会员证;已下载的会员证在验证时显示为无效",
    "cancelled": "会籍已注销,不再发放电子会员证;已下载的会员证在验证时显示为无效",
}


class _HasStanding(Protocol):
    @property
    def status(self) -> Any: ...

    @property
    def association(self) -> Any: ...


class NotActive(Conflict):
    code, message = "NOT_ACTIVE", "会籍状态不是“正常”,不能使用此功能"


def contact_of(member: _HasStanding) -> str:
    """Whom the member should ask: their association (overseas members: the national one)."""
    name = ASSOCIATION_NAMES.get(member.association, "")
    if member.association == NATIONAL_CODE:
        return name or "中国注册会计师协会"
    return name or "所属注协"


def standing(member: _HasStanding) -> dict[str, Any]:
    """The status screen's content (also part of `GET /me`)."""
    status = member.status or ACTIVE
    label = MEMBER_STATUS_LABELS.get(status, status)
    return {"status": status, "status_label": label, "active": status == ACTIVE,
            "meaning": MEANINGS.get(status, ""), "contact": contact_of(member)}


def not_active_message(member: _HasStanding) -> str:
    s = standing(member)
    return f"您的会籍状态为“{s['status_label']}”:{s['meaning']}。如有疑问,请联系{s['contact']}。"


def require_active(member: _HasStanding) -> None:
    """409 NOT_ACTIVE for a member whose membership is suspended or cancelled."""
    if (member.status or ACTIVE) != ACTIVE:
        s = standing(member)
        raise NotActive(not_active_message(member), member_status=s["status"], status_label=s["status_label"],
                        contact=s["contact"])

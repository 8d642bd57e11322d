"""Demo data for the local stack: staff, members in every state the flows need, applications.

All people are generated; members that carry a portrait from the shared public-domain fixtures
get obviously fake names ("…示例"). Every demo login uses the password `Demo#2026`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.auth.models import AccountModel
from chalicelib.auth.passwords import hash_password
from chalicelib.db import utcnow_iso
from chalicelib.members import numbers
from chalicelib.members.models import ApplicationModel, AuditModel, MemberModel
from chalicelib.members.schema import NATIONAL_CODE
from chalicelib.members.validation import is_complete
from chalicelib.storage import PhotoStore
from devstack.fake import person

DEMO_PASSWORD = "Demo#2026"
FACES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "faces" / "spec_white"

STAFF = (
    ("bj_staff", "association_staff", "110000", "北京注协演示员"),
    ("sh_staff", "association_staff", "310000", "上海注协演示员"),
    ("national_staff", "national_staff", NATIONAL_CODE, "中注协演示员"),
)


@dataclass(frozen=True)
class Case:
    label: str
    complete: bool = True
    photo: str | None = None  # accepted certificate photo (fixture file stem)
    reference: str | None = None  # exam photo on file
    status: str = "active"
    portrait_name: str | None = None


# One list per association; each case is a state a flow in DESIGN section 2 starts from.
BEIJING = (
    Case("完整 · 已有合格照片", photo="obama_01", reference="obama_02", portrait_name="张示例"),
    Case("完整 · 无照片 · 有全科合格照片", reference="obama_02", portrait_name="李示例"),
    Case("完整 · 无照片 · 无全科合格照片"),
    Case("信息不完整 · 已有照片", complete=False, photo="hopper_01", reference="hopper_01",
         portrait_name="王示例"),
    Case("已暂停会籍", photo="collins_01", reference="collins_01", status="suspended",
         portrait_name="赵示例"),
    Case("完整 · 已有合格照片", photo="biden_01", reference="biden_01", portrait_name="刘示例"),
    Case("信息不完整 · 无照片", complete=False),
    Case("完整 · 无照片 · 有全科合格照片", reference="collins_01", portrait_name="陈示例"),
    Case("完整 · 无照片 · 无全科合格照片"),
    Case("完整 · 无照片 · 无全科合格照片"),
    Case("信息不完整 · 无照片", complete=False),
    Case("已注销会籍", status="cancelled"),
)
SHANGHAI = (
    Case("完整 · 已有合格照片", photo="obama_03", reference="obama_02", portrait_name="周示例"),
    Case("完整 · 无照片 · 有全科合格照片", reference="hopper_01", portrait_name="吴示例"),
    Case("完整 · 无照片 · 无全科合格照片"),
    Case("信息不完整 · 无照片", complete=False),
    Case("已暂停会籍", status="suspended"),
    Case("完整 · 无照片 · 无全科合格照片"),
)
OVERSEAS = (
    Case("完整 · 已有合格照片", photo="collins_01", reference="collins_01", portrait_name="Demo 示例"),
    Case("完整 · 无照片 · 有全科合格照片", reference="biden_01", portrait_name="Sample 示例"),
    Case("完整 · 无照片 · 无全科合格照片"),
    Case("信息不完整 · 无照片", complete=False),
)


@dataclass
class DemoSummary:
    staff: list[tuple[str, str]] = field(default_factory=list)
    members: list[tuple[str, str, str, str]] = field(default_factory=list)  # no, assoc, name, label
    applications: int = 0


def _photo(name: str) -> bytes:
    return (FACES / f"{name}.jpg").read_bytes()


def load(photos: PhotoStore, seed: int = 2026) -> DemoSummary:
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose
    summary = DemoSummary()
    now = utcnow_iso()

    for username, role, assoc, display in STAFF:
        AccountModel(AccountModel.key("staff", username), user_type="staff", username=username,
                     role=role, association=assoc, display_name=display,
                     email=f"{username}@example.com", password_hash=password_hash).save()
        summary.staff.append((username, display))

    for assoc, cases in (("110000", BEIJING), ("310000", SHANGHAI), (NATIONAL_CODE, OVERSEAS)):
        for case in cases:
            member_no = numbers.allocate_one(assoc)
            profile = person(rng, assoc, complete=case.complete)
            if case.portrait_name:
                profile["name"] = case.portrait_name
            member = MemberModel(member_no, association=assoc, name=profile["name"], profile=profile,
                                 id_key=MemberModel.make_id_key(profile["id_type"], profile["id_number"]),
                                 complete=is_complete(profile), status=case.status,
                                 created_at=now, updated_at=now)
            if case.status != "active":
                member.status_reason = "演示数据:会籍状态示例"
                member.status_changed_at = now
            if case.reference:
                member.reference_key = f"{PhotoStore.REFERENCE_PREFIX}{member_no}.jpg"
                photos.put(member.reference_key, _photo(case.reference))
            if case.photo:
                member.photo_key = f"{PhotoStore.PHOTO_PREFIX}{member_no}.jpg"
                member.photo_version_id = photos.put(member.photo_key, _photo(case.photo))
                member.photo_status = "accepted"
                member.photo_accepted_at = now
            member.save()
            AccountModel(AccountModel.key("member", member_no), user_type="member", username=member_no,
                         role="member", association=assoc, member_no=member_no,
                         display_name=profile["name"], password_hash=password_hash).save()
            AuditModel(member_no, f"{now}#demo", at=now, actor="demo-loader", actor_role="system",
                       action="create", detail={"note": "演示数据"}).save()
            summary.members.append((member_no, assoc, profile["name"], case.label))

    for assoc in ("110000", "110000", "310000", NATIONAL_CODE):
        profile = person(rng, assoc)
        profile.pop("association", None)
        ApplicationModel(f"demo-{rng.randrange(16**8):08x}", association=assoc, profile=profile,
                         created_at=utcnow_iso()).save()
        summary.applications += 1
    return summary


def describe(summary: DemoSummary) -> list[str]:
    lines = [f"  密码 (all demo logins): {DEMO_PASSWORD}", "  staff (职员):"]
    lines += [f"    {u:<16} {d}" for u, d in summary.staff]
    lines.append("  members (非执业会员, username = member number):")
    lines += [f"    {no}  {assoc}  {name:<8} {label}" for no, assoc, name, label in summary.members]
    lines.append(f"  pending applications: {summary.applications}")
    return lines


def as_dict(summary: DemoSummary) -> dict[str, Any]:
    return {"staff": summary.staff, "members": summary.members, "applications": summary.applications}

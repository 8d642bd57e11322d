"""What each role sees of a member record or an application: storage models are not API shapes.

Pure functions from models to plain dicts. Lists show masked ID numbers; the full record (staff
in scope, or the member themself) shows every schema field. S3 keys, face scores and password
state never leave the services through here.
"""

from __future__ import annotations

from typing import Any, Mapping

from chalicelib.members import standing
from chalicelib.members.models import ApplicationModel, MemberModel
from chalicelib.members.schema import (
    APPLICATION_STATUS_LABELS,
    ASSOCIATION_NAMES,
    FIELDS,
    MEMBER_EDITABLE_KEYS,
    MEMBER_STATUS_LABELS,
    PHOTO_STATUS_LABELS,
)
from chalicelib.members.validation import is_complete, mask_id_number, missing_fields

STATUSES = tuple(MEMBER_STATUS_LABELS)
STATUS_LABELS = MEMBER_STATUS_LABELS
PHOTO_STATUSES = tuple(PHOTO_STATUS_LABELS)
APPLICATION_STATUSES = tuple(APPLICATION_STATUS_LABELS)

# Schema keys in form order, for the member's own edit list.
EDITABLE_FIELDS: list[str] = [f.key for f in FIELDS if f.key in MEMBER_EDITABLE_KEYS]


def _plain(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return dict(value.as_dict() if hasattr(value, "as_dict") else value)


def row(m: MemberModel) -> dict[str, Any]:
    """One line of the staff list: ID number masked."""
    profile = _plain(m.profile)
    return {
        "member_no": m.member_no,
        "name": m.name or str(profile.get("name") or ""),
        "gender": str(profile.get("gender") or ""),
        "id_number": mask_id_number(str(profile.get("id_number") or "")),
        "association": m.association,
        "association_name": ASSOCIATION_NAMES.get(m.association, ""),
        "photo_status": m.photo_status or "none",
        "complete": bool(m.complete),
        "status": m.status or "active",
        "updated_at": m.updated_at,
    }


def record(m: MemberModel) -> dict[str, Any]:
    """The full record: every schema field (ID number in full) plus state and `version`."""
    values = m.fields()
    out: dict[str, Any] = {f.key: values.get(f.key, "") for f in FIELDS}
    out.update(
        member_no=m.member_no,
        association=m.association,
        association_name=ASSOCIATION_NAMES.get(m.association, ""),
        status=m.status or "active",
        status_label=STATUS_LABELS.get(m.status or "active", ""),
        status_reason=m.status_reason or "",
        status_changed_at=m.status_changed_at or "",
        photo_status=m.photo_status or "none",
        has_photo=bool(m.photo_key),
        has_reference=bool(m.reference_key),
        complete=is_complete(values),
        missing=missing_fields(values),
        version=int(m.version or 0),
        created_at=m.created_at,
        updated_at=m.updated_at,
    )
    return out


# The stored attributes `record` reads: an export asks DynamoDB for these alone.
RECORD_ATTRIBUTES = ("member_no", "association", "profile", "status", "status_reason", "status_changed_at",
                     "photo_status", "photo_key", "reference_key", "version", "created_at", "updated_at")


def record_of_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """`record(MemberModel.from_raw_data(item))` for an item as DynamoDB returns it, without
    building the model (most of an export's own CPU at 60,000 members): the same dict. An item
    holding anything but the plain shapes read here goes through the model."""
    try:
        return _record_of_plain_item(item)
    except _Unusual:
        return record(MemberModel.from_raw_data(dict(item)))


class _Unusual(Exception):
    """An attribute the direct reading does not handle: the model reads the item."""


def _text(item: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """A UnicodeAttribute as the model reads it: absent or NULL is the attribute's default."""
    value = item.get(key)
    if not value or "NULL" in value:
        return default
    if len(value) != 1 or type(value.get("S")) is not str:
        raise _Unusual
    return str(value["S"])


def _version(item: Mapping[str, Any]) -> int:
    value = item.get("version")
    if not value or "NULL" in value:
        return 0
    number = value.get("N") if len(value) == 1 else None
    if type(number) is not str or not number.isdigit() or (number[0] == "0" and number != "0"):
        raise _Unusual
    return int(number)


def _profile(item: Mapping[str, Any]) -> dict[str, str]:
    """`MemberModel.fields()` of the item: its profile's text values (NULL ones left out)."""
    value = item.get("profile")
    if not value or "NULL" in value:
        return {}
    profile = value.get("M") if len(value) == 1 else None
    if type(profile) is not dict:
        raise _Unusual
    values: dict[str, str] = {}
    for key, v in profile.items():
        if len(v) != 1:
            raise _Unusual
        text = v.get("S")
        if type(text) is str:
            values[key] = text
        elif v.get("NULL") is not True:
            raise _Unusual
    return values


def _record_of_plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    member_no, association = _text(item, "member_no"), _text(item, "association")
    created_at, updated_at = _text(item, "created_at"), _text(item, "updated_at")
    if member_no is None or association is None or created_at is None or updated_at is None:
        raise _Unusual  # the model fills these in (with its defaults), whatever they are
    values = _profile(item)
    values["member_no"], values["association"] = member_no, association
    status = _text(item, "status", "active") or "active"
    out: dict[str, Any] = {f.key: values.get(f.key, "") for f in FIELDS}
    out.update(
        member_no=member_no,
        association=association,
        association_name=ASSOCIATION_NAMES.get(association, ""),
        status=status,
        status_label=STATUS_LABELS.get(status, ""),
        status_reason=_text(item, "status_reason") or "",
        status_changed_at=_text(item, "status_changed_at") or "",
        photo_status=_text(item, "photo_status", "none") or "none",
        has_photo=bool(_text(item, "photo_key")),
        has_reference=bool(_text(item, "reference_key")),
        complete=is_complete(values),
        missing=missing_fields(values),
        version=_version(item),
        created_at=created_at,
        updated_at=updated_at,
    )
    return out


def completeness(values: Mapping[str, Any]) -> dict[str, Any]:
    missing = missing_fields(values)
    return {"complete": not missing, "missing": missing}


def photo_state(m: MemberModel, max_failed_attempts: int) -> dict[str, Any]:
    """What the member page needs to know about the photo (no keys, no scores)."""
    failed = int(m.failed_attempts or 0)
    return {
        "status": m.photo_status or "none",
        "has_photo": bool(m.photo_key),
        "has_reference": bool(m.reference_key),
        "failed_attempts": failed,
        "attempts_left": max(0, max_failed_attempts - failed),
        "consent": m.face_consent is not None,
    }


def me(m: MemberModel, max_failed_attempts: int) -> dict[str, Any]:
    """The body of `GET /me`."""
    return {
        "member": record(m),
        "completeness": completeness(m.fields()),
        "photo": photo_state(m, max_failed_attempts),
        "editable_fields": EDITABLE_FIELDS,
        "status": m.status or "active",
        "status_reason": m.status_reason or "",
        "standing": standing.standing(m),
    }


def application_row(a: ApplicationModel) -> dict[str, Any]:
    p = _plain(a.profile)
    return {
        "app_id": a.app_id,
        "name": str(p.get("name") or ""),
        "gender": str(p.get("gender") or ""),
        "id_type": str(p.get("id_type") or ""),
        "id_number": mask_id_number(str(p.get("id_number") or "")),
        "mobile": str(p.get("mobile") or ""),
        "email": str(p.get("email") or ""),
        "association": a.association,
        "association_name": ASSOCIATION_NAMES.get(a.association, ""),
        "status": a.status,
        "created_at": a.created_at,
        "decided_at": a.decided_at or "",
        "member_no": a.member_no or "",
    }


def application(a: ApplicationModel) -> dict[str, Any]:
    """One application in full, for staff of its association."""
    p = {k: str(v) for k, v in _plain(a.profile).items() if v is not None}
    p["association"] = a.association
    fields = {f.key: p.get(f.key, "") for f in FIELDS if f.key != "member_no"}
    return {
        **application_row(a),
        "id_number": p.get("id_number", ""),
        "fields": fields,
        "missing": missing_fields(p),
        "decided_by": a.decided_by or "",
        "reason": a.reason or "",
        "version": int(a.version or 0),
    }

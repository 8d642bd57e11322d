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

"""Member records: the staff list, entry (录入), changes (基本信息修改), history and self-service.

Every function takes the calling principal and goes through `access` for scope, so a route only
reads the request and calls one of these. Every write
- validates against the schema (422 `VALIDATION_FAILED` with `errors: [{key, label, message}]`),
- is a conditional save under the version the editor saw (409 `VERSION_CONFLICT`; nothing is
  silently overwritten: the version is compared first, and the save's own condition catches a
  writer that got in between),
- keeps the denormalised top-level attributes (name, id_key, complete, updated_at) in step with
  the profile, and
- appends an audit entry with masked ID numbers.

Change body (staff `PATCH /members/{no}` and member `PATCH /me`):
    {"version": 3, "changes": {"email": "a@b.cn", ...}, "status": "suspended", "status_reason": "..."}
`changes` is the canonical place for field values; schema fields given at the top level are
accepted too (merged into `changes`). `status`/`status_reason` are staff-only.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from pynamodb.exceptions import PutError, TransactWriteError

from chalicelib.auth import service as accounts
from chalicelib.auth.passwords import generate_initial_password, hash_password
from chalicelib.db import condition_failed, utcnow_iso
from chalicelib.errors import BadRequest, Conflict, Forbidden, ValidationFailed
from chalicelib.members import access, audit, claims, listing, numbers, store, views
from chalicelib.members.models import MemberModel
from chalicelib.members.schema import FIELDS_BY_KEY, MEMBER_EDITABLE_KEYS, REQUIRED_KEYS
from chalicelib.members.validation import FieldError, normalize, validate
from chalicelib.principal import Principal

log = logging.getLogger(__name__)

VERSION_CONFLICT_MESSAGE = "该会员信息已被他人修改,请刷新后重新修改"
# Needed to find, match and show a member at all: required on entry, never clearable.
IDENTITY_KEYS = ("name", "id_type", "id_number")
CONTROL_KEYS = frozenset({"version", "changes", "status", "status_reason"})


# -- helpers ------------------------------------------------------------------------------------

def field_error(key: str, message: str) -> dict[str, str]:
    label = FIELDS_BY_KEY[key].label if key in FIELDS_BY_KEY else key
    return {"key": key, "label": label, "message": message}


def _invalid(errors: list[FieldError] | list[dict[str, str]]) -> ValidationFailed:
    return ValidationFailed(errors=[e.to_dict() if isinstance(e, FieldError) else e for e in errors])


def text_values(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(k for k in values if k not in FIELDS_BY_KEY)
    if unknown:
        raise BadRequest(f"{where}包含未知字段:{', '.join(unknown)}", code="UNKNOWN_FIELDS", fields=unknown)
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
            raise _invalid([field_error(key, f"{FIELDS_BY_KEY[key].label}应为文本")])
    return dict(values)


def parse_change_body(body: Mapping[str, Any]) -> tuple[int, dict[str, str], str | None, str]:
    """(version, normalised changes, new status or None, status reason) from a PATCH body."""
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise BadRequest("缺少版本号(version),请刷新后重新修改", code="VERSION_REQUIRED")
    nested = body.get("changes") or {}
    if not isinstance(nested, dict):
        raise BadRequest("changes 应为对象", code="INVALID_BODY")
    top = {k: v for k, v in body.items() if k not in CONTROL_KEYS}
    changes = {**text_values(top, "请求"), **text_values(nested, "changes")}
    status = body.get("status")
    if status is not None and status not in views.STATUSES:
        raise _invalid([{"key": "status", "label": "会籍状态", "message": "会籍状态应为 active、suspended 或 cancelled"}])
    reason = body.get("status_reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    return version, normalize(changes), status, reason


def id_key_of(values: Mapping[str, str]) -> str | None:
    return MemberModel.make_id_key(values.get("id_type", ""), values.get("id_number", ""))


def check_unique_id(values: Mapping[str, str], member_no: str | None = None) -> None:
    number, id_type = values.get("id_number", ""), values.get("id_type", "")
    if not number or not id_type:
        return
    others = [n for n in listing.find_by_id_number(number, id_type) if n != member_no]
    if others:
        raise claims.duplicate(FIELDS_BY_KEY["id_number"].label)


def _conflict(current_version: int) -> Conflict:
    return Conflict(VERSION_CONFLICT_MESSAGE, code="VERSION_CONFLICT", current_version=current_version)


def _status_change(old: str, new: str) -> dict[str, str]:
    return {"field": "status", "label": "会籍状态",
            "old": views.STATUS_LABELS.get(old, old), "new": views.STATUS_LABELS.get(new, new)}


def _save_versioned(member: MemberModel) -> None:
    """Save under the loaded version; a writer that got in first turns this into a 409."""
    try:
        member.save()
    except PutError as exc:
        if condition_failed(exc):
            current = MemberModel.get(member.member_no, consistent_read=True)
            raise _conflict(int(current.version or 0)) from None
        raise


def _save_with_new_id(member: MemberModel, old: Mapping[str, str], new: Mapping[str, str]) -> None:
    """Save a change of ID type or number and move the member's claim in one transaction."""
    claim = claims.claim_for(new, member.member_no)
    try:
        with store.transaction() as tx:
            tx.save(member)  # under the version read
            claims.release_claim(tx, old, member.member_no)
            claims.add_claim(tx, claim)
    except TransactWriteError as exc:
        claims.raise_if_claimed(exc, claim)
        if exc.cause_response_code == "TransactionCanceledException":
            current = MemberModel.get(member.member_no, consistent_read=True)
            raise _conflict(int(current.version or 0)) from None
        raise


def apply_changes(principal: Principal, member: MemberModel, version: int, changes: Mapping[str, str],
                  *, status: str | None = None, reason: str = "") -> MemberModel:
    """Validate and save `changes` (and a status change) under `version`; audit the result."""
    if int(member.version or 0) != version:
        raise _conflict(int(member.version or 0))
    current = member.fields()
    effective = {k: v for k, v in changes.items() if current.get(k, "") != v and k != "member_no"}
    errors = [e.to_dict() for e in validate(effective, current)]
    errors += [field_error(k, f"{FIELDS_BY_KEY[k].label}不能为空") for k in IDENTITY_KEYS
               if k in effective and not effective[k]]
    status_changed = status is not None and status != (member.status or "active")
    if status_changed and not reason:
        errors.append({"key": "status_reason", "label": "原因", "message": "变更会籍状态须填写原因"})
    if len(reason) > 200:
        errors.append({"key": "status_reason", "label": "原因", "message": "原因不能超过200个字符"})
    if errors:
        raise _invalid(errors)
    if not effective and not status_changed:
        return member
    merged = {**current, **effective}
    if {"id_type", "id_number"} & set(effective):
        check_unique_id(merged, member.member_no)

    now = utcnow_iso()
    profile = {k: v for k, v in merged.items() if k != "member_no"}
    member.profile = profile
    member.name = merged.get("name", "")
    member.id_key = id_key_of(merged)
    member.complete = views.completeness(merged)["complete"]
    member.updated_at = now
    entry = audit.diff(current, merged)
    old_status = member.status or "active"
    if status_changed:
        member.status, member.status_reason, member.status_changed_at = status, reason, now
        entry.append(_status_change(old_status, str(status)))
    if id_key_of(current) != member.id_key:
        _save_with_new_id(member, current, merged)
    else:
        _save_versioned(member)
    audit.record(member.member_no, principal, "status" if status_changed and not effective else "update",
                 changes=entry, detail={"reason": reason} if status_changed else None)
    return member


# -- staff --------------------------------------------------------------------------------------

def list_members(principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    association = access.managed_association(principal)
    page = listing.list_page(association, listing.parse_filters(query), query.get("cursor"),
                             listing.parse_limit(query.get("limit")))
    body: dict[str, Any] = {"items": [views.row(m) for m in page.items], "next_cursor": page.next_cursor}
    if page.partial:
        body["partial"] = True
    return body


def count_members(principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    association = access.managed_association(principal)
    return {"count": listing.count(association, listing.parse_filters(query))}


def get_record(principal: Principal, member_no: str) -> dict[str, Any]:
    access.managed_association(principal)
    return views.record(access.get_member(principal, member_no, consistent=True))


def create_member(principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """录入: a new member of the caller's association with a generated number and account."""
    association = access.managed_association(principal)
    values = normalize(text_values(body, "请求"))
    values.pop("member_no", None)
    if values.get("association", association) not in ("", association):
        raise Forbidden("只能录入本协会的会员", code="FIELD_NOT_EDITABLE", fields=["association"])
    values["association"] = association
    errors = [e.to_dict() for e in validate(values, {})]
    errors += [field_error(k, f"{FIELDS_BY_KEY[k].label}为必填项") for k in IDENTITY_KEYS if not values.get(k)]
    if errors:
        raise _invalid(errors)
    check_unique_id(values)

    member_no = numbers.allocate_one(association)
    password = generate_initial_password()
    now = utcnow_iso()
    member = MemberModel(member_no, association=association, name=values["name"], profile=values,
                         id_key=id_key_of(values), complete=views.completeness(values)["complete"],
                         status="active", created_at=now, updated_at=now)
    account = accounts.member_account(member_no, association, values["name"], hash_password(password), now)
    claim = claims.claim_for(values, member_no)
    try:
        with store.transaction() as tx:
            tx.save(member, condition=MemberModel.member_no.does_not_exist())
            accounts.add_new_account(tx, account)
            claims.add_claim(tx, claim)
    except TransactWriteError as exc:
        claims.raise_if_claimed(exc, claim)  # another entry with this ID number won the race
        raise
    audit.record(member_no, principal, "create", changes=audit.diff({}, {**values, "member_no": member_no}))
    return {"member_no": member_no, "initial_password": password, "member": views.record(member)}


def update_member(principal: Principal, member_no: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """基本信息修改 (and suspend / cancel / reinstate with a reason) by staff in scope."""
    access.managed_association(principal)
    version, changes, status, reason = parse_change_body(body)
    member = access.get_member(principal, member_no, consistent=True)
    if "association" in changes and changes["association"] != member.association:
        # The member number embeds the association code; a transfer is not an edit.
        raise Forbidden("不能修改会员的所属协会,会员转会请联系中注协办理", code="FIELD_NOT_EDITABLE",
                        fields=["association"])
    if "member_no" in changes and changes["member_no"] != member.member_no:
        raise Forbidden("会员证书编号由系统生成,不能修改", code="FIELD_NOT_EDITABLE", fields=["member_no"])
    return views.record(apply_changes(principal, member, version, changes, status=status, reason=reason))


def member_history(principal: Principal, member_no: str) -> dict[str, Any]:
    access.managed_association(principal)
    member = access.get_member(principal, member_no)
    return {"items": audit.history(member.member_no)}


def issue_initial_password(principal: Principal, member_no: str) -> dict[str, Any]:
    """A new random initial password, shown once; the member must change it at first login.

    Used for imported members (whose accounts have no usable password) and for members who
    have no e-mail on file for the self-service reset. Existing sessions are ended.
    """
    access.managed_association(principal)
    member = access.get_member(principal, member_no)
    password = accounts.issue_member_initial_password(member.member_no, member.association, member.name)
    audit.record(member.member_no, principal, "password", detail={"what": "重置初始密码"})
    return {"member_no": member.member_no, "initial_password": password}


# -- member self-service ------------------------------------------------------------------------

def get_me(principal: Principal, max_failed_attempts: int) -> dict[str, Any]:
    member = access.get_self(principal, consistent=True)
    return views.me(member, max_failed_attempts)


def update_me(principal: Principal, body: Mapping[str, Any], max_failed_attempts: int) -> dict[str, Any]:
    """保存并提交信息: member-editable fields only; staff-only fields answer 403."""
    if "status" in body or "status_reason" in body:
        raise Forbidden("会籍状态请联系所属注协修改", code="FIELD_NOT_EDITABLE", fields=["status"])
    version, changes, _, _ = parse_change_body(body)
    member = access.get_self(principal, consistent=True)
    current = member.fields()
    changed = [k for k, v in changes.items() if current.get(k, "") != v]
    locked = [k for k in changed if k not in MEMBER_EDITABLE_KEYS]
    if locked:
        labels = "、".join(FIELDS_BY_KEY[k].label for k in locked)
        raise Forbidden(f"{labels}不能由会员本人修改,请联系所属注协修改", code="FIELD_NOT_EDITABLE",
                        fields=locked)
    cleared = [field_error(k, f"{FIELDS_BY_KEY[k].label}为必填项") for k in changed
               if k in REQUIRED_KEYS and not changes[k]]
    if cleared:
        raise _invalid(cleared)
    apply_changes(principal, member, version, changes)
    return views.me(member, max_failed_attempts)


# -- Excel --------------------------------------------------------------------------------------

def import_template() -> tuple[bytes, str]:
    from chalicelib.members import excel

    return excel.build_template(), "会员信息导入模板.xlsx"

"""Membership applications (申请审核): public submission, staff review, approval or rejection.

Approval is one DynamoDB transaction (application marked approved under its version, member and
account created only if absent), so two staff approving at once create one member, and a
failure leaves nothing half-done. The applicant is told the outcome by e-mail; the initial
password is never e-mailed (it is shown once to the approving staff, and the member can also set
a password through "忘记密码" with the e-mail address on the application).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Mapping

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from chalicelib.auth import captcha, throttle
from chalicelib.auth import service as accounts
from chalicelib.auth.passwords import generate_initial_password, hash_password
from chalicelib.config import Settings
from chalicelib.cursor import decode_cursor, encode_cursor
from chalicelib.db import condition_failed, utcnow_iso
from chalicelib.errors import AppError, BadRequest, Conflict, NotFound, TooManyRequests, ValidationFailed
from chalicelib.mail import Mailer
from chalicelib.members import access, audit, claims, numbers, store, views
from chalicelib.members.listing import parse_limit
from chalicelib.members.models import ApplicationModel, MemberModel
from chalicelib.members.schema import APPLICATION_REQUIRED, ASSOCIATION_NAMES, FIELDS_BY_KEY, message
from chalicelib.members.service import check_unique_id, field_error, id_key_of, text_values
from chalicelib.members.validation import is_complete, normalize, validate
from chalicelib.principal import Principal

log = logging.getLogger(__name__)

_APP_ID = re.compile(r"^[A-Za-z0-9\-]{1,64}$")
NOT_FOUND = "未找到该申请"
DECIDED = "该申请已处理,请刷新列表"


def _not_found() -> NotFound:
    return NotFound(NOT_FOUND, code="APPLICATION_NOT_FOUND")


def _plain(value: Any) -> dict[str, str]:
    raw = value.as_dict() if hasattr(value, "as_dict") else dict(value or {})
    return {k: str(v) for k, v in raw.items() if v is not None}


# -- public -------------------------------------------------------------------------------------

# Applications a single address may submit in an hour: enough for an office sending a few
# colleagues' applications, too few to probe ID numbers or flood the review list.
APPLY_PER_CLIENT_PER_HOUR = 10


def submit(settings: Settings, body: Mapping[str, Any], client_ip: str = "unknown") -> dict[str, Any]:
    """POST /public/applications: captcha, then the schema's fields plus `association`.

    The answer never says whether the ID number belongs to a member or to another pending
    application (that would make this form an ID-number oracle, limited only by the captcha):
    a valid application is always accepted the same way, and staff see the duplicate flagged
    when they review it. Each client address may submit a few applications an hour.
    """
    wait = throttle.hit("apply", client_ip, limit=APPLY_PER_CLIENT_PER_HOUR, window_seconds=3600)
    if wait:
        raise TooManyRequests(f"提交过于频繁,请{wait}秒后再试", code="APPLY_RATE_LIMITED", retry_after=wait)
    captcha.verify(settings, body.get("captcha_id"), body.get("captcha_code"))
    values = normalize(text_values({k: v for k, v in body.items() if k not in ("captcha_id", "captcha_code")},
                                   "申请"))
    values.pop("member_no", None)
    errors = [e.to_dict() for e in validate(values, {})]
    errors += [field_error(k, message("application_required", FIELDS_BY_KEY[k].label)) for k in APPLICATION_REQUIRED
               if not values.get(k)]
    if errors:
        raise ValidationFailed(errors=errors)
    association = values["association"]
    app = ApplicationModel(uuid.uuid4().hex, association=association, status="pending",
                           profile={k: v for k, v in values.items() if k != "association"}, created_at=utcnow_iso())
    app.save()
    log.info("application submitted app_id=%s association=%s", app.app_id, association)
    return {"app_id": app.app_id, "status": "pending",
            "message": "申请已提交,请等待所属注协审核,审核结果将发送到您填写的电子邮箱"}


# -- staff --------------------------------------------------------------------------------------

def _in_scope(principal: Principal, app_id: str, *, consistent: bool = False) -> ApplicationModel:
    association = access.managed_association(principal)
    if not isinstance(app_id, str) or not _APP_ID.match(app_id):
        raise _not_found()
    try:
        app = ApplicationModel.get(app_id, consistent_read=consistent)
    except DoesNotExist:
        raise _not_found() from None
    if app.association != association:
        raise _not_found()
    return app


def list_applications(principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    """Newest first, optionally by status; a cursor from the last returned row."""
    association = access.managed_association(principal)
    status = str(query.get("status") or "").strip()
    if status and status not in views.APPLICATION_STATUSES:
        raise BadRequest("申请状态不正确", code="INVALID_FILTER")
    limit = parse_limit(query.get("limit"))
    start = None
    cursor = decode_cursor(query.get("cursor"))
    if cursor is not None:
        if not (isinstance(cursor.get("c"), str) and isinstance(cursor.get("i"), str)
                and _APP_ID.match(cursor["i"])):
            raise BadRequest("分页参数无效,请从第一页重新查询", code="INVALID_CURSOR")
        start = {"app_id": {"S": cursor["i"]}, "association": {"S": association},
                 "created_at": {"S": cursor["c"]}}
    results = ApplicationModel.by_association.query(
        association, scan_index_forward=False, last_evaluated_key=start, page_size=limit + 1,
        filter_condition=(ApplicationModel.status == status) if status else None)
    rows: list[ApplicationModel] = []
    for app in results:
        if len(rows) == limit:
            last = rows[-1]
            return {"items": [views.application_row(a) for a in rows],
                    "next_cursor": encode_cursor({"c": last.created_at, "i": last.app_id})}
        rows.append(app)
    return {"items": [views.application_row(a) for a in rows], "next_cursor": None}


def get_application(principal: Principal, app_id: str) -> dict[str, Any]:
    app = _in_scope(principal, app_id)
    body = views.application(app)
    if app.status == "pending":
        values = {**_plain(app.profile), "association": app.association}
        body["duplicate"] = bool(_duplicate(values))
        body["duplicate_applications"] = _pending_twins(app, values)
    return body


def _pending_twins(app: ApplicationModel, values: Mapping[str, str]) -> int:
    """Other pending applications to the same association with the same ID number (the public
    form accepts them without saying so; staff decide)."""
    key = id_key_of(values)
    if not key:
        return 0
    pending = ApplicationModel.by_association.query(app.association,
                                                    filter_condition=ApplicationModel.status == "pending")
    return sum(1 for other in pending if other.app_id != app.app_id and id_key_of(_plain(other.profile)) == key)


def _duplicate(values: Mapping[str, str]) -> bool:
    try:
        check_unique_id(values)
    except Conflict:
        return True
    return False


def _mail(mailer: Mailer, to: str, subject: str, text: str) -> bool:
    if not to:
        return False
    try:
        mailer.send(to, subject, text)
    except AppError:
        return False  # the decision stands; staff see mail_sent: false and can tell the applicant
    return True


def approve(settings: Settings, mailer: Mailer, principal: Principal, app_id: str) -> dict[str, Any]:
    """Create the member (generated number) and an account with an initial password, shown once."""
    app = _in_scope(principal, app_id, consistent=True)
    if app.status != "pending":
        raise Conflict(DECIDED, code="APPLICATION_DECIDED", status_now=app.status)
    values = {**_plain(app.profile), "association": app.association}
    values = {k: v for k, v in normalize(values).items() if k != "member_no"}
    errors = [e.to_dict() for e in validate(values, {})]
    if errors:
        raise ValidationFailed("申请信息有误,无法通过,请驳回并说明原因", errors=errors)
    check_unique_id(values)

    member_no = numbers.allocate_one(app.association)
    password = generate_initial_password()
    now = utcnow_iso()
    member = MemberModel(member_no, association=app.association, name=values["name"], profile=values,
                         id_key=id_key_of(values), complete=is_complete(values), status="active",
                         created_at=now, updated_at=now)
    account = accounts.member_account(member_no, app.association, values["name"], hash_password(password), now)
    app.status, app.decided_at, app.decided_by, app.member_no = "approved", now, principal.actor, member_no
    claim = claims.claim_for(values, member_no)
    try:
        with store.transaction() as tx:
            tx.save(app)  # under the version we read: a second approver fails here
            tx.save(member, condition=MemberModel.member_no.does_not_exist())
            tx.save(account)
            claims.add_claim(tx, claim)  # one member per ID number, also against a racing entry
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        if ApplicationModel.get(app.app_id, consistent_read=True).status == "pending":
            claims.raise_if_claimed(exc, claim)  # not decided: the ID number was entered meanwhile
        raise Conflict(DECIDED, code="APPLICATION_DECIDED") from None
    audit.record(member_no, principal, "create", changes=audit.diff({}, {**values, "member_no": member_no}),
                 detail={"source": "application", "app_id": app.app_id})
    name = ASSOCIATION_NAMES.get(app.association, "所属注协")
    sent = _mail(mailer, values.get("email", ""), "入会申请审核结果:已通过", (
        f"{values['name']}您好:\n\n您向{name}提交的非执业会员入会申请已审核通过。\n"
        f"会员证书编号:{member_no}(也是登录用户名)\n\n"
        f"为保护您的账户安全,初始密码不通过邮件发送。请联系{name}领取初始密码,"
        f"或在登录页点击“忘记密码”,通过本邮箱接收验证码设置密码。首次登录后请修改密码。\n\n"
        f"{settings.site_url}\n\n此邮件由系统自动发送,请勿回复。"))
    return {"member_no": member_no, "initial_password": password, "mail_sent": sent,
            "member": views.record(member)}


def reject(mailer: Mailer, principal: Principal, app_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    reason = body.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500:
        message = "请填写驳回原因" if not reason else "驳回原因不能超过500个字符"
        raise ValidationFailed(message, errors=[{"key": "reason", "label": "驳回原因", "message": message}])
    app = _in_scope(principal, app_id, consistent=True)
    if app.status != "pending":
        raise Conflict(DECIDED, code="APPLICATION_DECIDED", status_now=app.status)
    app.status, app.reason = "rejected", reason
    app.decided_at, app.decided_by = utcnow_iso(), principal.actor
    try:
        app.save()
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict(DECIDED, code="APPLICATION_DECIDED") from None
        raise
    profile = _plain(app.profile)
    name = ASSOCIATION_NAMES.get(app.association, "所属注协")
    sent = _mail(mailer, profile.get("email", ""), "入会申请审核结果:未通过", (
        f"{profile.get('name', '')}您好:\n\n您向{name}提交的非执业会员入会申请未通过审核。\n"
        f"原因:{reason}\n\n如有疑问,请联系{name}。\n\n此邮件由系统自动发送,请勿回复。"))
    return {"app_id": app.app_id, "status": "rejected", "mail_sent": sent}

"""The photo use cases: consent, uploads, the S3 → SQS check handler, reviews, staff tools.

The pure checks live in `checks`/`prepare`; this module decides what a result means for the
member record and the review queue, and keeps the handler idempotent: an upload is processed
once, whatever S3/SQS redeliver, and leaves one result and one audit entry.

Photos in the bucket:
- uploads/<member_no>/<upload_id>.jpg   browser uploads (presigned POST; the event source)
- photos/<member_no>.jpg                the certificate photo; earlier ones stay as S3 versions
- reference/<member_no>.jpg             the exam (全科合格) photo, loaded by operators
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import unquote_plus

from chalicelib import metrics
from chalicelib.auth import throttle
from chalicelib.bootstrap import Deps
from chalicelib.cursor import decode_cursor, encode_cursor
from chalicelib.db import utcnow_iso
from chalicelib.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, TooManyRequests, ValidationFailed
from chalicelib.members import audit, records, standing
from chalicelib.members.records import Member
from chalicelib.photo.checks import PhotoResult, check_photo, spec_only
from chalicelib.photo.clean import clean_copy
from chalicelib.photo.models import UploadModel
from chalicelib.photo.repository import DYNAMO, StaleUpload, UploadRepository
from chalicelib.photo.spec import SPEC
from chalicelib.principal import MEMBER, Principal
from chalicelib.storage import PhotoStore

log = logging.getLogger(__name__)

CONSENT_TEXT_VERSION = "2026-11-v1"
CONSENT_TEXT = (
    "为核验您上传的证件照片与档案照片是否为同一人,本系统将对两张照片进行人脸识别比对。"
    "人脸信息属于敏感个人信息:比对仅用于本次会员证照片核验,系统不保存人脸特征数据;"
    "照片本身作为会员档案保存在所属注协,仅用于会员证书。您可以不同意,改为联系所属注协人工核验。"
)
MIN_BYTES, MAX_BYTES = SPEC.min_bytes, SPEC.max_bytes
PREPARE_MAX_BYTES = SPEC.prepare_max_bytes
# A member trying photos needs a handful of auto-fixes; 20 in 10 minutes leaves room for that.
PREPARE_PER_WINDOW = 20
PREPARE_WINDOW_SECONDS = 600
# "superseded": a member's upload that waited for review and was replaced by their next upload
FINAL = ("accepted", "rejected", "review", "superseded")
# Uploads a member may start in an hour: a few retakes are normal, an endless stream is not
# (every upload costs a face comparison, and failed ones end up in the staff review queue).
UPLOADS_PER_HOUR = 10

PHOTO_MISSING = "没有查询到照片信息"


class PhotoMissing(NotFound):
    """No accepted photo on file: 404 here; the certificate gate answers 409 (the API contract)."""

    code, message = "PHOTO_MISSING", PHOTO_MISSING


def _photo_key(member_no: str) -> str:
    return f"{PhotoStore.PHOTO_PREFIX}{member_no}.jpg"


# -- consent ------------------------------------------------------------------------------------

def consent_text() -> dict[str, str]:
    return {"text_version": CONSENT_TEXT_VERSION, "text": CONSENT_TEXT}


def record_consent(principal: Principal, text_version: str) -> dict[str, Any]:
    if text_version != CONSENT_TEXT_VERSION:
        raise ValidationFailed("授权说明已更新,请刷新页面后重新阅读并同意", code="CONSENT_OUTDATED")
    member = records.own(principal)
    standing.require_active(member)
    if member.face_consent is None:
        at = utcnow_iso()
        records.face_consent_given(member.member_no, at, text_version)
        audit.record(member.member_no, principal, "consent",
                     detail={"what": "人脸信息处理授权", "text_version": text_version})
    return {"consent": True, "text_version": text_version}


# -- uploads ------------------------------------------------------------------------------------

def start_upload(d: Deps, principal: Principal, member_no: str | None = None) -> dict[str, Any]:
    """A presigned POST for one JPEG of 10-20 KB at a key the server chose."""
    if principal.role == MEMBER:
        member = records.own(principal)
        standing.require_active(member)
        if member.face_consent is None:
            raise Conflict("请先阅读并同意人脸信息处理授权", code="CONSENT_REQUIRED",
                           text_version=CONSENT_TEXT_VERSION, text=CONSENT_TEXT)
        wait = throttle.hit("photo-upload", member.member_no, limit=UPLOADS_PER_HOUR, window_seconds=3600)
        if wait:
            raise TooManyRequests(f"上传照片过于频繁,请{wait}秒后再试", code="UPLOAD_RATE_LIMITED",
                                  retry_after=wait)
        kind = "member"
    else:
        member = records.visible_to(principal, member_no or "")
        kind = "staff"
    upload_id = uuid.uuid4().hex
    key = f"{PhotoStore.UPLOAD_PREFIX}{member.member_no}/{upload_id}.jpg"
    d.uploads.save(UploadModel(upload_id, member_no=member.member_no, association=member.association, kind=kind,
                               actor=principal.actor, s3_key=key))
    post = d.photos.presigned_post(key, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES, content_type="image/jpeg")
    return {"upload_id": upload_id, "url": post["url"], "fields": post["fields"],
            "min_bytes": MIN_BYTES, "max_bytes": MAX_BYTES}


def attempts_left(d: Deps, member: Member) -> int:
    return max(0, d.settings.face.max_failed_attempts - int(member.failed_attempts or 0))


def _attempts_left_before(d: Deps, member: Member, upload_id: str) -> int:
    """The attempts the member had before this upload, also when an earlier delivery of its
    check already applied the result to the member (and counted a failure) before dying."""
    if member.last_photo_upload_id == upload_id and member.failed_attempts_before_last is not None:
        return max(0, d.settings.face.max_failed_attempts - int(member.failed_attempts_before_last))
    return attempts_left(d, member)


def upload_status(d: Deps, principal: Principal, upload_id: str, member_no: str | None = None) -> dict[str, Any]:
    member = records.own(principal) if principal.role == MEMBER else records.visible_to(principal, member_no or "")
    upload = d.uploads.get(upload_id)
    if upload is None:
        raise NotFound("未找到该上传记录", code="UPLOAD_NOT_FOUND")
    if upload.member_no != member.member_no:
        raise NotFound("未找到该上传记录", code="UPLOAD_NOT_FOUND")
    status = "pending" if upload.status == "waiting" else upload.status
    body: dict[str, Any] = {
        "upload_id": upload.upload_id, "status": status,
        "checks": [_plain(c) for c in upload.checks or []],
        "message": upload.message or ("照片检测中,请稍候" if status == "pending" else ""),
        # recorded with the result, so a poll between the two writes never shows a stale count
        "attempts_left": (int(upload.attempts_left) if upload.attempts_left is not None
                          else attempts_left(d, member)),
    }
    if principal.role != MEMBER:  # scores and engines are for staff: members see only the verdict and its message
        body.update(score=upload.score, engine=upload.engine, kind=upload.kind,
                    decided_by=upload.decided_by, decision_reason=upload.decision_reason)
    return body


def _plain(value: Any) -> dict[str, Any]:
    return dict(value.as_dict()) if hasattr(value, "as_dict") else dict(value)


# -- the S3 → SQS handler -----------------------------------------------------------------------

@dataclass(frozen=True)
class S3Object:
    key: str
    version_id: str
    etag: str


def parse_sqs_body(body: str) -> list[S3Object]:
    """The uploads/ objects in one SQS message; moto's and S3's s3:TestEvent yields nothing.

    A message of any other shape can never succeed, so it is logged once (its shape only, never
    its content) and dropped: raising would only send it through every retry to the DLQ.
    """
    try:
        message = json.loads(body)
    except ValueError:
        log.warning("photo queue: message is not JSON; dropped")
        return []
    if isinstance(message, dict) and message.get("Event") == "s3:TestEvent":
        return []
    try:
        return _uploaded_objects(message)
    except _Poison as exc:
        log.warning("photo queue: malformed message (%s); dropped", exc)
        return []


class _Poison(ValueError):
    """A queue message that is not an S3 event notification."""


def _uploaded_objects(message: Any) -> list[S3Object]:
    if not isinstance(message, dict) or not isinstance(message.get("Records", []), list):
        raise _Poison("not an object with a list of Records")
    out = []
    for rec in message.get("Records", []):
        if not isinstance(rec, dict) or not isinstance(rec.get("s3", {}), dict):
            raise _Poison("a record is not an object")
        if not str(rec.get("eventName", "")).startswith("ObjectCreated"):
            continue
        obj = rec.get("s3", {}).get("object", {})
        if not isinstance(obj, dict) or not isinstance(obj.get("key", ""), str):
            raise _Poison("a record's object has no text key")
        key = unquote_plus(obj.get("key", ""))  # S3 event keys are URL-encoded
        if key.startswith(PhotoStore.UPLOAD_PREFIX):
            out.append(S3Object(key, str(obj.get("versionId") or ""),
                                str(obj.get("eTag") or obj.get("etag") or "")))
    return out


def handle_uploaded(d: Deps, obj: S3Object) -> None:
    """Check one uploaded photo and record the result. Safe to call any number of times."""
    parts = obj.key.split("/")
    if len(parts) != 3 or not parts[2].endswith(".jpg"):
        log.warning("photo queue: unexpected key shape; ignored")
        return
    upload_id = parts[2][:-4]
    upload = d.uploads.get(upload_id, consistent=True)
    if upload is None:
        log.warning("photo queue: upload %s unknown; ignored", upload_id)
        return
    if upload.status in FINAL or upload.s3_key != obj.key:
        return  # redelivery, or a key that was never handed out: nothing to do
    member = records.get(upload.member_no, consistent=True)
    if member is None:
        raise RuntimeError("the member of this upload is missing")  # retried, then dead-lettered
    stored = d.photos.get(obj.key, obj.version_id or None)
    if stored is None:
        raise RuntimeError("uploaded object not readable yet")  # transient: SQS retries
    data = stored.body
    left_before = _attempts_left_before(d, member, upload_id)

    review_reason = ""
    if upload.kind == "staff":
        reference = _reference_bytes(d, member)
        result = spec_only(data, d.face_engine, reference=reference, face=d.settings.face)
    else:
        reference = _reference_bytes(d, member) or _current_bytes(d, member)
        result = check_photo(data, reference, d.face_engine, d.settings.face)
        review_reason = _review_reason(result, reference)
        if result.status == "rejected" and _only_face_failed(result) and left_before <= 1:
            result = PhotoResult("review", result.checks, result.score, result.engine, "")
            review_reason = "face_mismatch_repeated"
        if result.status == "review":
            result = PhotoResult("review", result.checks, result.score, result.engine,
                                 review_message(review_reason))

    max_failed = d.settings.face.max_failed_attempts
    if result.status == "accepted":
        left = max_failed
    elif result.status == "rejected" and _only_face_failed(result):
        left = max(0, left_before - 1)
    else:
        left = left_before
    upload.attempts_left = left
    upload.status = result.status
    upload.checks = [c.to_dict() for c in result.checks]  # type: ignore[misc]  # PynamoDB stores plain dicts in a map list
    upload.score = result.score
    upload.engine = result.engine
    upload.message = result.message
    upload.s3_version_id = stored.version_id
    upload.processed_event = obj.version_id or obj.etag
    upload.processed_at = utcnow_iso()
    if result.status == "review" and upload.kind == "member":
        upload.review_association = member.association
        upload.review_reason = review_reason

    # The upload's final mark is the last write: every step before it is safe to repeat, so a
    # handler that dies half-way leaves the upload open and the redelivery finishes the job.
    if upload.kind == "member":
        if member.last_photo_upload_id != upload_id:
            _apply_member_result(d, member, upload, result, data)
        _supersede_open_reviews(d, upload)
    audit.record(member.member_no, upload.actor or "member", "photo", actor_role=upload.kind,
                 event_key=f"upload#{upload_id}",
                 detail={"event": f"照片检测:{_STATUS_LABEL[result.status]}", "upload_id": upload_id,
                         "kind": upload.kind, "failed_rules": ",".join(c.rule for c in result.failed())})
    try:
        d.uploads.save(upload)  # versioned: a concurrent duplicate delivery loses here
    except StaleUpload:
        log.info("photo queue: upload %s already recorded by another delivery", upload_id)
        return
    _count_result(result)


SUPERSEDED_MESSAGE = "您已上传新的照片,此照片不再审核"


def _supersede_open_reviews(d: Deps, upload: UploadModel) -> None:
    """A member has at most one photo waiting for staff review: their newest checked upload
    replaces any earlier one still waiting, which leaves the queue and is noted in their history."""
    for old in d.uploads.open_reviews_of(upload.member_no):
        if old.upload_id == upload.upload_id or old.kind != "member":
            continue
        old.status, old.review_association = "superseded", None
        old.message = SUPERSEDED_MESSAGE
        try:
            d.uploads.save(old)
        except StaleUpload:
            continue  # decided by staff (or superseded by another delivery) meanwhile
        audit.record(upload.member_no, "system", "photo", event_key=f"superseded#{old.upload_id}",
                     detail={"event": "待审核照片已被新上传的照片取代", "upload_id": old.upload_id,
                             "replaced_by": upload.upload_id})


_STATUS_LABEL = {"accepted": "比对成功", "rejected": "比对失败", "review": "转人工审核"}
_STATUS_METRIC = {"accepted": metrics.PHOTO_ACCEPTED, "rejected": metrics.PHOTO_REJECTED,
                  "review": metrics.PHOTO_SENT_TO_REVIEW}


def _count_result(result: PhotoResult) -> None:
    """One data point per checked upload, and the comparison score when a comparison ran."""
    metrics.count(_STATUS_METRIC[result.status])
    if result.score is not None:
        if result.engine == "rekognition":
            metrics.put(metrics.FACE_SIMILARITY, result.score, metrics.PERCENT)
        else:
            metrics.put(metrics.FACE_DISTANCE, result.score, metrics.NONE)

# Why an upload waits for staff review: one code, said to each reader in their own words
# (member: what it means for them; staff: what to look at).
REVIEW_REASONS: dict[str, tuple[str, str]] = {
    "face_mismatch_repeated": ("您的照片多次人脸比对未通过", "多次人脸比对未通过"),
    "no_reference": ("系统中没有您的全科合格照片,无法自动比对", "无全科合格照片,未能自动比对"),
    "reference_unusable": ("您的全科合格照片无法用于自动比对", "全科合格照片无法用于比对(无法读取或未检测到人脸)"),
    "uncertain_match": ("系统无法自动确认照片是否为本人", "人脸相似度介于通过与不通过之间,需人工判断"),
}
REVIEW_NEXT = "所属注协工作人员将人工核对您的照片;审核通过后即可下载会员证,期间无需再次上传。"


def _review_reason(result: PhotoResult, reference: bytes | None) -> str:
    if result.status != "review":
        return ""
    if reference is None:
        return "no_reference"
    match = result.check("face_match")
    if match is not None and not match.ran:
        return "reference_unusable"
    return "uncertain_match"


def review_message(reason: str) -> str:
    """The one sentence a member sees for a photo under review, wherever it is shown."""
    member_text = REVIEW_REASONS.get(reason, ("", ""))[0]
    return f"已提交所属注协人工审核:{member_text}。{REVIEW_NEXT}" if member_text else \
        f"已提交所属注协人工审核。{REVIEW_NEXT}"


def staff_review_reason(reason: str | None) -> str:
    return REVIEW_REASONS.get(reason or "", ("", "人工审核"))[1]


def _only_face_failed(result: PhotoResult) -> bool:
    failed = result.failed()
    return bool(failed) and all(c.rule == "face_match" for c in failed)


def _apply_member_result(d: Deps, member: Member, upload: UploadModel, result: PhotoResult,
                         data: bytes) -> None:
    if result.status == "accepted":
        _make_current(d, member.member_no, data, upload_id=upload.upload_id)
        return

    records.photo_not_accepted(member.member_no,
                               face_mismatch=result.status == "rejected" and _only_face_failed(result),
                               in_review=result.status == "review", upload_id=upload.upload_id)


def _make_current(d: Deps, member_no: str, data: bytes, *, upload_id: str | None = None) -> None:
    """Store a clean copy as the certificate photo (new S3 version) and mark it accepted
    (with `upload_id`, once per checked upload)."""
    version = d.photos.put(_photo_key(member_no), clean_copy(data))
    records.photo_accepted(member_no, _photo_key(member_no), version, utcnow_iso(), upload_id=upload_id)


def _reference_bytes(d: Deps, member: Member) -> bytes | None:
    if not member.reference_key:
        return None
    stored = d.photos.get(member.reference_key)
    return stored.body if stored else None


def _current_bytes(d: Deps, member: Member) -> bytes | None:
    if not member.photo_key or member.photo_status != "accepted":
        return None
    stored = d.photos.get(member.photo_key, member.photo_version_id)
    return stored.body if stored else None


def my_review(principal: Principal) -> dict[str, Any]:
    """The member's photo under review, if any: reason and next step in the member's words."""
    member = records.own(principal)
    upload = _pending_review(member.member_no)
    if upload is None:
        return {"in_review": False}
    reason = upload.review_reason or ""
    return {"in_review": True, "upload_id": upload.upload_id, "submitted_at": upload.created_at,
            "reason": reason, "reason_text": REVIEW_REASONS.get(reason, ("", ""))[0],
            "message": review_message(reason), "next": REVIEW_NEXT}


def my_review_photo(d: Deps, principal: Principal) -> bytes:
    member = records.own(principal)
    upload = _pending_review(member.member_no)
    stored = d.photos.get(upload.s3_key, upload.s3_version_id) if upload is not None else None
    if stored is None:
        raise NotFound("没有正在审核的照片", code="REVIEW_NOT_FOUND")
    return stored.body


def _pending_review(member_no: str) -> UploadModel | None:
    for u in UploadModel.by_member.query(member_no, scan_index_forward=False, limit=20):
        if u.kind == "member" and u.status == "review" and u.review_association:
            return u
    return None


# -- reading photos -----------------------------------------------------------------------------

def current_photo(d: Deps, member: Member) -> bytes:
    """The certificate photo, or PHOTO_MISSING (没有查询到照片信息) / PHOTO_UNAVAILABLE (获取照片信息失败)."""
    if not member.photo_key or member.photo_status != "accepted":
        raise PhotoMissing()
    stored = d.photos.get(member.photo_key, member.photo_version_id)
    if stored is None:
        raise PhotoMissing()
    return stored.body


def member_photo(d: Deps, principal: Principal, member_no: str, kind: str) -> bytes:
    member = records.visible_to(principal, member_no)
    if kind == "reference":
        data = _reference_bytes(d, member)
        if data is None:
            raise NotFound("没有全科合格照片", code="PHOTO_MISSING")
        return data
    if kind != "current":
        raise ValidationFailed("kind 只能是 current 或 reference", code="INVALID_KIND")
    return current_photo(d, member)


# -- auto-fix -----------------------------------------------------------------------------------

def prepare_allowed(principal: Principal) -> None:
    """The auto-fix costs up to a few CPU seconds a call: each signed-in user (member or staff)
    gets a fixed number of calls per window, counted before any work, so one account cannot keep
    the function busy. 429 with Retry-After when exhausted. A member who is not active gets
    409 NOT_ACTIVE instead: their photo could never be used."""
    if principal.role == MEMBER:
        standing.require_active(records.own(principal))
    wait = throttle.hit("photo-prepare", f"{principal.role}#{principal.actor}",
                        limit=PREPARE_PER_WINDOW, window_seconds=PREPARE_WINDOW_SECONDS)
    if wait:
        raise TooManyRequests(f"照片处理过于频繁,请{wait}秒后再试", code="PREPARE_RATE_LIMITED",
                              retry_after=wait)


def prepare(d: Deps, data: bytes) -> dict[str, Any]:
    if len(data) > PREPARE_MAX_BYTES:
        raise PayloadTooLarge("照片文件不能超过 8 MB", code="PHOTO_TOO_LARGE")
    if not data:
        raise ValidationFailed("请选择照片文件", code="PHOTO_EMPTY")
    import base64

    fitted, report = d.prepare_portrait(data)
    body: dict[str, Any] = {"report": {k: v for k, v in report.to_dict().items() if k not in ("score", "engine")}}
    if fitted:
        body["image"] = "data:image/jpeg;base64," + base64.b64encode(fitted).decode()
        body["bytes"] = len(fitted)
    return body


# -- staff tools --------------------------------------------------------------------------------

def _face_mismatch(upload: UploadModel) -> bool:
    """The staff upload's comparison with the exam photo ran and did not match (or was too
    uncertain to match): the one case in which confirming needs a written override."""
    for c in upload.checks or []:
        check = _plain(c)
        if check.get("rule") == "face_match" and not check.get("ok") and check.get("state", "failed") == "failed":
            return True
    return False


def confirm_staff_upload(d: Deps, principal: Principal, member_no: str, upload_id: str,
                         override_reason: str = "") -> dict[str, Any]:
    """"确认上传": staff make their checked upload the certificate photo (spec must pass).

    A failed face comparison is not a hint: confirming such a photo would put another person's
    face on a certificate, so it is refused (409 FACE_MISMATCH_OVERRIDE_REQUIRED) unless the staff
    user writes why they are sure it is the member; that reason is audited.
    """
    member = records.visible_to(principal, member_no)
    upload = d.uploads.get(upload_id, consistent=True)
    if upload is None:
        raise NotFound("未找到该上传记录", code="UPLOAD_NOT_FOUND")
    if upload.member_no != member.member_no or upload.kind != "staff":
        raise NotFound("未找到该上传记录", code="UPLOAD_NOT_FOUND")
    if upload.status not in FINAL:
        raise Conflict("照片仍在检测中,请稍候", code="PHOTO_PENDING")
    if upload.status != "accepted":
        raise Conflict("照片不符合规格,不能作为会员证照片", code="PHOTO_SPEC_FAILED",
                       checks=[_plain(c) for c in upload.checks or []])
    override_reason = (override_reason or "").strip()
    mismatch = _face_mismatch(upload)
    if mismatch and not override_reason:
        raise Conflict("该照片与全科合格照片人脸比对未通过,不能直接确认。请核实本人身份;"
                       "如确认为本人,请填写核实情况作为确认理由", code="FACE_MISMATCH_OVERRIDE_REQUIRED",
                       score=upload.score)
    stored = d.photos.get(upload.s3_key, upload.s3_version_id)
    if stored is None:
        raise NotFound("未找到该上传记录", code="UPLOAD_NOT_FOUND")
    _make_current(d, member.member_no, stored.body)
    detail: dict[str, Any] = {"event": "职员确认上传会员证照片", "upload_id": upload_id, "score": upload.score}
    if mismatch:
        detail.update(event="职员确认上传会员证照片(人脸比对未通过,人工确认为本人)", reason=override_reason)
    audit.record(member.member_no, principal, "photo", detail=detail)
    return {"photo_status": "accepted", "override": mismatch}


def use_reference(d: Deps, principal: Principal, member_no: str) -> dict[str, Any]:
    """"使用全科合格照片": fit the exam photo to the spec and make it the certificate photo."""
    member = records.visible_to(principal, member_no)
    reference = _reference_bytes(d, member)
    if reference is None:
        raise NotFound("没有全科合格照片", code="PHOTO_MISSING")
    fitted, report = d.prepare_portrait(reference)
    blocking = [c for c in report.checks if not c.ok and c.rule != "background"]
    if not fitted or blocking:
        raise Conflict("全科合格照片无法调整为符合规格的会员证照片,请上传新照片", code="PHOTO_SPEC_FAILED",
                       checks=[c.to_dict() for c in report.checks])
    _make_current(d, member.member_no, fitted)
    audit.record(member.member_no, principal, "photo", detail={"event": "使用全科合格照片作为会员证照片"})
    return {"photo_status": "accepted", "checks": [c.to_dict() for c in report.checks]}


# -- review queue -------------------------------------------------------------------------------

REVIEWS_PAGE = 50
REVIEWS_MAX_PAGE = 200
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def _review_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return REVIEWS_PAGE
    if not str(raw).isdigit() or not 1 <= int(str(raw)) <= REVIEWS_MAX_PAGE:
        raise BadRequest(f"每页条数应为1至{REVIEWS_MAX_PAGE}", code="INVALID_LIMIT")
    return int(str(raw))


def list_reviews(principal: Principal, query: Mapping[str, str] | None = None, *,
                 uploads: UploadRepository = DYNAMO) -> dict[str, Any]:
    """The association's review queue, newest first, a page at a time: `limit` rows and a
    `next_cursor` (null on the last page) to pass back as `cursor`, as for `GET /members`."""
    query = query or {}
    assoc = records.managed_association(principal)
    limit = _review_limit(query.get("limit"))
    after = None
    cursor = decode_cursor(query.get("cursor"))
    if cursor is not None:
        if not (isinstance(cursor.get("c"), str) and isinstance(cursor.get("i"), str)
                and _UPLOAD_ID.match(cursor["i"])):
            raise BadRequest("分页参数无效,请从第一页重新查询", code="INVALID_CURSOR")
        after = (cursor["c"], cursor["i"])
    page = uploads.review_queue(assoc, limit=limit + 1, after=after)
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor({"c": page[-1].created_at, "i": page[-1].upload_id})
    items = []
    for u in page:
        member = records.get(u.member_no)
        if member is None:
            continue
        reason = u.review_reason or ("no_reference" if not member.reference_key else "")
        items.append({"review_id": u.upload_id, "member_no": u.member_no, "name": member.name,
                      "created_at": u.created_at, "score": u.score, "engine": u.engine,
                      "reason": reason, "reason_text": staff_review_reason(reason),
                      "message": staff_review_reason(reason),
                      "checks": [_plain(c) for c in u.checks or []],
                      "has_reference": bool(member.reference_key)})
    return {"items": items, "next_cursor": next_cursor}


def _review(principal: Principal, review_id: str, *, uploads: UploadRepository = DYNAMO) -> UploadModel:
    assoc = records.managed_association(principal)
    upload = uploads.get(review_id, consistent=True)
    if upload is None:
        raise NotFound("未找到该审核记录", code="REVIEW_NOT_FOUND")
    if upload.association != assoc or upload.review_association != assoc:
        raise NotFound("未找到该审核记录", code="REVIEW_NOT_FOUND")
    return upload


def review_photo(d: Deps, principal: Principal, review_id: str) -> bytes:
    upload = _review(principal, review_id, uploads=d.uploads)
    stored = d.photos.get(upload.s3_key, upload.s3_version_id)
    if stored is None:
        raise NotFound("照片已不存在", code="PHOTO_MISSING")
    return stored.body


def decide_review(d: Deps, principal: Principal, review_id: str, accept: bool, reason: str = "") -> dict[str, Any]:
    upload = _review(principal, review_id, uploads=d.uploads)
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationFailed("请填写驳回原因", code="REASON_REQUIRED",
                               errors=[{"key": "reason", "label": "驳回原因", "message": "请填写驳回原因"}])
    upload.status = "accepted" if accept else "rejected"
    upload.review_association = None
    upload.decided_by, upload.decision_reason = principal.actor, reason or None
    upload.message = "所属注协审核通过" if accept else f"所属注协审核未通过:{reason}"
    try:
        d.uploads.save(upload)
    except StaleUpload:
        raise Conflict("该审核已被他人处理,请刷新", code="VERSION_CONFLICT") from None
    if accept:
        stored = d.photos.get(upload.s3_key, upload.s3_version_id)
        if stored is None:
            raise NotFound("照片已不存在", code="PHOTO_MISSING")
        _make_current(d, upload.member_no, stored.body)
    else:
        records.photo_not_accepted(upload.member_no, face_mismatch=False, in_review=False)
    audit.record(upload.member_no, principal, "photo",
                 detail={"event": "人工审核通过" if accept else "人工审核驳回", "upload_id": review_id,
                         "reason": reason})
    return {"review_id": review_id, "status": upload.status}

"""Certificate use cases: download gates, issue identity, the S3 cache, verification.

Gates run in a fixed order (status, completeness, photo) with the legacy portal's messages. A certificate's *issue* is its
printed content: while the content (record fields, photo version, seal) stays the same, every
download is the same issue, with the same date and verification code, served from the
certificate cache (`d.certificates`, the room's repository: one signed PDF per issue, keyed by
the hash of content and date). When the content changes, the next download is a new issue
dated today. Older printouts stay verifiable: the code carries its own issue date.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import quote

from chalicelib import metrics
from chalicelib.bootstrap import Deps
from chalicelib.cert.codes import read_code, sign_code, verification_url
from chalicelib.config import SettingsError
from chalicelib.errors import Conflict, ServiceUnavailable
from chalicelib.members import audit, records, standing
from chalicelib.members.records import Member
from chalicelib.members.schema import ASSOCIATION_NAMES, MEMBER_STATUS_LABELS, NATIONAL_CODE
from chalicelib.members.validation import mask_name, missing_fields
from chalicelib.photo.service import PhotoMissing, current_photo
from chalicelib.principal import MEMBER, Principal, is_member_no

log = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8))

MSG_INCOMPLETE_MEMBER = "请您先将基础信息中的必填信息补充完整"
MSG_INCOMPLETE_STAFF = "请将会员必填信息补充完整,再进行下载"
MSG_PHOTO_MISSING = "没有查询到照片信息"


class SealMissing(ServiceUnavailable):
    """No seal uploaded for the association, where the sample seal is not allowed."""

    code = "SEAL_MISSING"
    message = "本协会的电子印章尚未上传,暂时无法出具会员证。请联系协会工作人员上传印章后再试"


class SigningUnavailable(ServiceUnavailable):
    """The signing key or certificate cannot be read (not yet in SSM, or SSM unreachable)."""

    code = "SIGNING_UNAVAILABLE"
    message = "会员证签名服务暂时不可用,请稍后再试;如持续出现,请联系协会工作人员"


@dataclass(frozen=True)
class Certificate:
    pdf: bytes
    cache_id: str  # the issue's name in the certificate cache
    filename: str
    display_filename: str
    issued_on: date


def today() -> date:
    return datetime.now(BEIJING).date()


def check_gates(member: Member, *, for_staff: bool) -> None:
    """Raise the first gate that fails (not active → incomplete → no photo)."""
    if member.status != "active":
        if not for_staff:
            standing.require_active(member)
        label = MEMBER_STATUS_LABELS.get(member.status, member.status)
        raise Conflict(f"会员状态为“{label}”,不能下载会员证", code="NOT_ACTIVE", status_label=label)
    missing = missing_fields(member.fields())
    if missing:
        raise Conflict(MSG_INCOMPLETE_STAFF if for_staff else MSG_INCOMPLETE_MEMBER,
                       code="INFO_INCOMPLETE", missing=missing)
    if member.photo_status != "accepted" or not member.photo_key:
        raise Conflict(MSG_PHOTO_MISSING, code="PHOTO_MISSING")


def _data(member: Member) -> Any:
    from chalicelib.cert import wording
    from chalicelib.cert.render import CertificateData  # fpdf2 is imported only when rendering

    f = member.fields()
    overseas = member.association == NATIONAL_CODE
    # Overseas members belong to the national institute itself: it is their association and
    # their certificate's issuer; "overseas" is their category, printed among the fields.
    association_name = wording.ISSUER if overseas else ASSOCIATION_NAMES.get(member.association, member.association)
    # Dates go in as the record's ISO strings; CertificateData parses (and checks) them.
    values: dict[str, Any] = {
        "name": f["name"], "gender": f["gender"], "birth_date": f["birth_date"],
        "member_no": member.member_no, "approval_date": f["approval_date"],
        "approval_doc_no": f["approval_doc_no"], "association_name": association_name,
        "member_category": wording.OVERSEAS_CATEGORY if overseas else "",
    }
    return CertificateData(**values)


@dataclass(frozen=True)
class Seal:
    """The seal a certificate prints: the uploaded PNG, or None for the built-in sample seal
    (where the settings allow it); `seal_id` stands for it in the content hash, so a newly
    uploaded seal is new content and the next download is a new issue."""

    png: bytes | None
    seal_id: str


def read_seal(d: Deps, association: str) -> Seal:
    """The association's current seal, read from the store (SEAL_MISSING where none is uploaded
    and the sample seal is not allowed)."""
    seal = d.certificates.get_seal(association)
    if seal is None:
        if not d.settings.allow_sample_seal:
            log.error("no seal uploaded for association %s: certificate refused", association)
            raise SealMissing()
        return Seal(None, "sample")
    return Seal(seal, hashlib.sha256(seal).hexdigest())


class ChunkSeals:
    """The seals of one batch of certificates (a bulk job's chunk): each association's seal is
    read from the store once, on its first certificate, instead of once per certificate.

    Why per batch and not a per-process cache: a Lambda container lives for hours, so a cache
    kept for a fixed time would print a replaced seal on every certificate of that time, in each
    warm container, and a cache checked against the stored object's ETag still costs one request
    per certificate. A chunk is a few seconds of work (up to a few hundred certificates): a seal
    uploaded while a job runs is used from its next chunk on, and a single download always reads
    the seal as it is now. A missing seal is remembered for the batch like a present one (each
    member of the batch gets SEAL_MISSING); a store failure is not, so the next certificate asks
    again.
    """

    def __init__(self, d: Deps) -> None:
        self._d = d
        self._seen: dict[str, Seal | SealMissing] = {}

    def __call__(self, association: str) -> Seal:
        seen = self._seen.get(association)
        if seen is None:
            try:
                seen = read_seal(self._d, association)
            except SealMissing as missing:
                seen = missing
            self._seen[association] = seen
        if isinstance(seen, SealMissing):
            raise SealMissing()
        return seen


def _content_hash(data: Any, photo: bytes, seal_id: str) -> str:
    from chalicelib.cert.render import LAYOUT_VERSION  # a new layout re-renders cached PDFs

    payload = {"data": {k: str(v) for k, v in data.__dict__.items()}, "photo": hashlib.sha256(photo).hexdigest(),
               "seal": seal_id, "layout": LAYOUT_VERSION}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _render(*args: Any, **kwargs: Any) -> bytes:
    from chalicelib.cert.render import render_certificate

    return render_certificate(*args, **kwargs)


def _sign(d: Deps, pdf: bytes) -> bytes:
    from chalicelib.cert.signing import sign_pdf

    try:  # read here, not at start: the API runs before the CA-signed certificate exists
        key_pem, cert_pem = d.settings.signing_key_pem, d.settings.signing_cert_pem
    except SettingsError:
        log.error("signing key or certificate unavailable", exc_info=True)
        raise SigningUnavailable() from None
    return sign_pdf(pdf, key_pem, cert_pem)


def issue(d: Deps, member: Member, *, for_staff: bool,
          seals: Callable[[str], Seal] | None = None) -> Certificate:
    """The member's current certificate, rendered and signed once per distinct content.
    `seals` gives the association's seal (default: read it now; a batch passes `ChunkSeals`)."""
    check_gates(member, for_staff=for_staff)
    try:
        photo = current_photo(d, member)
    except PhotoMissing:
        raise Conflict(MSG_PHOTO_MISSING, code="PHOTO_MISSING") from None
    data = _data(member)
    seal = (seals or (lambda association: read_seal(d, association)))(member.association)
    content = _content_hash(data, photo, seal.seal_id)
    if member.cert_content_hash == content and member.cert_issued_on:
        issued_on = date.fromisoformat(member.cert_issued_on)
        cache_id = _cache_id(content, issued_on)
        pdf = d.certificates.get_pdf(cache_id)
    else:
        # A new issue: its cache id (content and today's date) can name a stored PDF only if
        # this very content was issued earlier today and replaced since, so the cache is not
        # asked; that rare case renders and stores the same certificate again.
        issued_on = today()
        records.certificate_issued(member.member_no, issued_on.isoformat(), content)
        metrics.count(metrics.CERTIFICATES_ISSUED)
        cache_id, pdf = _cache_id(content, issued_on), None
    if pdf is None:
        code = sign_code(d.settings.verify_key, member.member_no, issued_on)
        pdf = _render(data, photo, issued_on, seal=seal.png,
                      qr_url=verification_url(d.settings.site_url, member.member_no, code))
        pdf = _sign(d, pdf)
        d.certificates.put_pdf(cache_id, pdf)
    return Certificate(pdf=pdf, cache_id=cache_id, filename=f"{member.member_no}.pdf",
                       display_filename=f"{data.name}_非执业会员证书_{member.member_no}.pdf", issued_on=issued_on)


def _cache_id(content: str, issued_on: date) -> str:
    return hashlib.sha256(f"{content}|{issued_on}".encode()).hexdigest()


def download(d: Deps, principal: Principal, member: Member, *,
             seals: Callable[[str], Seal] | None = None, audit_log: audit.Pending | None = None) -> Certificate:
    """The certificate, with its download audited (now, or noted in `audit_log` for later)."""
    cert = issue(d, member, for_staff=principal.role != MEMBER, seals=seals)
    detail = {"event": "下载会员证", "issued_on": cert.issued_on.isoformat()}
    if audit_log is not None:
        audit_log.record(member.member_no, principal, "certificate", detail=detail)
    else:
        audit.record(member.member_no, principal, "certificate", detail=detail)
    return cert


class CertificateBatch:
    """What the certificates of one batch (a bulk job's chunk) share: the seal, read once
    (`ChunkSeals`), and the download audit entries, written together when the batch ends, also
    when it ends with an error (the certificates issued until then keep their entries)."""

    def __init__(self, d: Deps) -> None:
        self._d = d
        self._seals = ChunkSeals(d)
        self._audit = audit.Pending()

    def download(self, principal: Principal, member: Member) -> Certificate:
        return download(self._d, principal, member, seals=self._seals, audit_log=self._audit)

    def __enter__(self) -> CertificateBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self._audit.write()


def content_disposition(cert: Certificate) -> str:
    """ASCII filename for every client, plus the Chinese name per RFC 5987 / RFC 6266."""
    return f'attachment; filename="{cert.filename}"; filename*=UTF-8\'\'{quote(cert.display_filename)}'


def presigned_link(d: Deps, cert: Certificate, expires_in: int = 300) -> dict[str, Any]:
    return {"url": d.certificates.pdf_link(cert.cache_id, expires_in=expires_in, filename=cert.filename),
            "expires_in": expires_in, "filename": cert.filename}


def verify(d: Deps, member_no: str, code: str) -> dict[str, Any]:
    """What the public may learn from a scanned QR code, and nothing more: validity, masked name,
    member number, association and issue date (no phone, e-mail or birth date)."""
    invalid = {"valid": False, "status": "unknown", "name_masked": "", "member_no": member_no,
               "association": "", "issued_on": None}
    if not is_member_no(member_no):
        return invalid
    issued_on = read_code(d.settings.verify_key, member_no, code or "")
    if issued_on is None:
        return invalid
    member = records.get(member_no)
    if member is None:
        return invalid
    return {"valid": member.status == "active", "status": member.status,
            "status_label": MEMBER_STATUS_LABELS.get(member.status, member.status),
            "name_masked": mask_name(member.name), "member_no": member_no,
            "association": ASSOCIATION_NAMES.get(member.association, member.association),
            "issued_on": issued_on.isoformat()}

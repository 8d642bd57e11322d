"""HTTP routes of the photo area (thin: read the request, call one service function, return)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.auth.authorizer import token_authorizer
from chalicelib.bootstrap import deps
from chalicelib.contract import OBJECT, TEXT, obj
from chalicelib.lazy import lazy_module
from chalicelib.principal import MEMBER, STAFF
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib.photo import direct_upload, service
else:  # loaded on first use: the photo stack brings Pillow (docs/architecture.md, "Cold start")
    direct_upload = lazy_module("chalicelib.photo.direct_upload")
    service = lazy_module("chalicelib.photo.service")

# What the direct-upload route accepts (checked again by `direct_upload.upload`).
DIRECT_UPLOAD_TYPES = ["multipart/form-data", "application/json", "image/jpeg", "application/octet-stream"]

api = Api(__name__, authorizer=token_authorizer)

# The shapes these routes validate and answer with (for the OpenAPI document, chalicelib/openapi/routes.py).
PRESIGNED = obj({"upload_id": TEXT, "url": TEXT, "fields": OBJECT}, ("upload_id", "url", "fields"))
UPLOAD = obj({"status": {"enum": ["pending", "accepted", "rejected", "review"]},
              "checks": {"type": "array", "items": OBJECT}}, ("status",))
REASON = obj({"reason": TEXT})
DECISION = obj({"review_id": TEXT, "status": TEXT}, ("review_id", "status"))

IMAGE_TYPES = ["image/jpeg", "image/png", "image/heic", "image/heif", "application/octet-stream"]


def _jpeg(data: bytes) -> Response:
    return Response(body=data, status_code=200,
                    headers={"Content-Type": "image/jpeg", "Cache-Control": "private, no-store"})


# -- member ---------------------------------------------------------------------------------------

@api.route("/me/photo/consent", roles=(MEMBER,), response=obj({"text_version": TEXT, "text": TEXT}, ("text",)))
def consent_text(req: Request) -> dict[str, Any]:
    return service.consent_text()


@api.route("/me/photo/consent", methods=["POST"], roles=(MEMBER,), request=obj({"text_version": TEXT}),
           response=obj({"consent": {"type": "boolean"}}, ("consent",)))
def give_consent(req: Request) -> dict[str, Any]:
    return service.record_consent(req.principal, str(req.json().get("text_version", "")))


@api.route("/me/photo/prepare", methods=["POST"], roles=(MEMBER,), content_types=IMAGE_TYPES, response=OBJECT)
def prepare_mine(req: Request) -> dict[str, Any]:
    service.prepare_allowed(req.principal)
    return service.prepare(deps(), req.raw_body())


@api.route("/me/photo/uploads", methods=["POST"], roles=(MEMBER,), response=PRESIGNED)
def start_my_upload(req: Request) -> dict[str, Any]:
    return service.start_upload(deps(), req.principal)


@api.route("/me/photo/direct-uploads", methods=["POST"], roles=(MEMBER,),
           content_types=DIRECT_UPLOAD_TYPES, response=obj({"upload_id": TEXT, "status": TEXT}, ("upload_id",)))
def direct_upload_mine(req: Request) -> dict[str, Any]:
    return direct_upload.upload(deps(), req.principal, req.headers.get("content-type", ""), req.raw_body())


@api.route("/me/photo/uploads/{upload_id}", roles=(MEMBER,), response=UPLOAD)
def my_upload(req: Request, upload_id: str) -> dict[str, Any]:
    return service.upload_status(deps(), req.principal, upload_id)


@api.route("/me/photo/review", roles=(MEMBER,))
def my_review(req: Request) -> dict[str, Any]:
    return service.my_review(req.principal)


@api.route("/me/photo/review/image", roles=(MEMBER,), produces="image/jpeg")
def my_review_photo(req: Request) -> Response:
    return _jpeg(service.my_review_photo(deps(), req.principal))


@api.route("/me/photo", roles=(MEMBER,), produces="image/jpeg")
def my_photo(req: Request) -> Response:
    from chalicelib.members.records import own

    return _jpeg(service.current_photo(deps(), own(req.principal)))


# -- staff ----------------------------------------------------------------------------------------

@api.route("/members/{member_no}/photo", roles=STAFF, produces="image/jpeg",
           query={"kind": {"enum": ["current", "reference"]}})
def member_photo(req: Request, member_no: str) -> Response:
    return _jpeg(service.member_photo(deps(), req.principal, member_no, req.query.get("kind", "current")))


@api.route("/members/{member_no}/photo/prepare", methods=["POST"], roles=STAFF, content_types=IMAGE_TYPES,
           response=OBJECT)
def prepare_for_member(req: Request, member_no: str) -> dict[str, Any]:
    from chalicelib.members.records import visible_to

    visible_to(req.principal, member_no)
    service.prepare_allowed(req.principal)
    return service.prepare(deps(), req.raw_body())


@api.route("/members/{member_no}/photo/uploads", methods=["POST"], roles=STAFF, response=PRESIGNED)
def start_staff_upload(req: Request, member_no: str) -> dict[str, Any]:
    return service.start_upload(deps(), req.principal, member_no)


@api.route("/members/{member_no}/photo/uploads/{upload_id}", roles=STAFF, response=UPLOAD)
def staff_upload(req: Request, member_no: str, upload_id: str) -> dict[str, Any]:
    return service.upload_status(deps(), req.principal, upload_id, member_no)


@api.route("/members/{member_no}/photo/uploads/{upload_id}/confirm", methods=["POST"], roles=STAFF,
           response=obj({"photo_status": TEXT}, ("photo_status",)))
def confirm_staff_upload(req: Request, member_no: str, upload_id: str) -> dict[str, Any]:
    reason = str((req.json() or {}).get("override_reason") or "")
    return service.confirm_staff_upload(deps(), req.principal, member_no, upload_id, reason)


@api.route("/members/{member_no}/photo/use-reference", methods=["POST"], roles=STAFF,
           response=obj({"photo_status": TEXT}, ("photo_status",)))
def use_reference(req: Request, member_no: str) -> dict[str, Any]:
    return service.use_reference(deps(), req.principal, member_no)


# -- review queue ---------------------------------------------------------------------------------

@api.route("/reviews", roles=STAFF, response=obj({"items": {"type": "array", "items": OBJECT}}, ("items",)))
def reviews(req: Request) -> dict[str, Any]:
    return service.list_reviews(req.principal, req.query, uploads=deps().uploads)


@api.route("/reviews/{review_id}/photo", roles=STAFF, produces="image/jpeg")
def review_photo(req: Request, review_id: str) -> Response:
    return _jpeg(service.review_photo(deps(), req.principal, review_id))


@api.route("/reviews/{review_id}/accept", methods=["POST"], roles=STAFF, request=REASON, response=DECISION)
def accept_review(req: Request, review_id: str) -> dict[str, Any]:
    return service.decide_review(deps(), req.principal, review_id, True, str(req.json().get("reason", "")))


@api.route("/reviews/{review_id}/reject", methods=["POST"], roles=STAFF, request=REASON, response=DECISION)
def reject_review(req: Request, review_id: str) -> dict[str, Any]:
    return service.decide_review(deps(), req.principal, review_id, False, str(req.json().get("reason", "")))

"""HTTP routes of the members area (thin: read the request, call one service function, return).

Request and response shapes are documented on the service functions (service.py,
applications.py, imports.py); errors are `{"code", "message", ...}` from chalicelib.web.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalice import Response

from chalicelib.auth.authorizer import token_authorizer
from chalicelib.bootstrap import deps
from chalicelib.contract import CAPTCHA, OBJECT, TEXT, items_page, member_fields, obj
from chalicelib.lazy import lazy_module
from chalicelib.principal import MEMBER, STAFF
from chalicelib.web import Api, Request, json_response

if TYPE_CHECKING:
    from chalicelib.members import applications, imports, service
else:  # loaded on first use: imports bring openpyxl (docs/architecture.md, "Cold start")
    applications = lazy_module("chalicelib.members.applications")
    imports = lazy_module("chalicelib.members.imports")
    service = lazy_module("chalicelib.members.service")

# `excel.XLSX`, spelled out so that declaring the import route does not load openpyxl.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

api = Api(__name__, authorizer=token_authorizer)

# The shapes these routes validate and answer with (for the OpenAPI document, chalicelib/openapi/routes.py).
FILTERS = {"q": {"type": "string", "maxLength": 50}, "id_number": TEXT, "id_type": TEXT, "photo_status": TEXT,
           "status": TEXT, "complete": {"enum": ["true", "false", "1", "0"]}}
LIST_QUERY = {**FILTERS, "cursor": TEXT, "limit": {"type": "string", "pattern": "^[0-9]{1,3}$"}}
APP_QUERY = {"status": TEXT, "cursor": TEXT, "limit": {"type": "string", "pattern": "^[0-9]{1,3}$"}}
RECORD = obj({"member_no": TEXT, "version": {"type": "integer"}}, ("member_no", "version"))
ME = obj({"completeness": OBJECT, "photo": OBJECT, "editable_fields": {"type": "array"}},
         ("completeness", "photo", "editable_fields"))
MEMBER_CHANGE = obj({"changes": obj(member_fields(editable_only=True))})
STAFF_CHANGE = obj({"version": {"type": "integer"}, "changes": obj(member_fields()),
                    "status": {"enum": ["active", "suspended", "cancelled"]}, "status_reason": TEXT}, ("version",))
REASON = obj({"reason": TEXT})


def _xlsx(data: bytes, filename: str, ascii_name: str) -> Response:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body=data, status_code=200, headers={
        "Content-Type": XLSX, "Content-Disposition": disposition, "Cache-Control": "no-store"})


# -- staff: list, record, change ------------------------------------------------------------------

@api.route("/members", roles=STAFF, query=LIST_QUERY, response=items_page())
def list_members(req: Request) -> dict[str, Any]:
    return service.list_members(req.principal, req.query)


@api.route("/members/count", roles=STAFF, query=FILTERS,
           response=obj({"count": {"type": "integer"}}, ("count",)))
def count_members(req: Request) -> dict[str, Any]:
    return service.count_members(req.principal, req.query)


@api.route("/members", methods=["POST"], roles=STAFF, request=obj(member_fields()), response=OBJECT, status=201)
def create_member(req: Request) -> Response:
    return json_response(service.create_member(req.principal, req.json()), status=201)


@api.route("/members/{member_no}", roles=STAFF, response=RECORD)
def get_member(req: Request, member_no: str) -> dict[str, Any]:
    return service.get_record(req.principal, member_no)


@api.route("/members/{member_no}", methods=["PATCH"], roles=STAFF, request=STAFF_CHANGE, response=OBJECT)
def update_member(req: Request, member_no: str) -> dict[str, Any]:
    return service.update_member(req.principal, member_no, req.json())


@api.route("/members/{member_no}/history", roles=STAFF, response=items_page())
def member_history(req: Request, member_no: str) -> dict[str, Any]:
    return service.member_history(req.principal, member_no)


@api.route("/members/{member_no}/initial-password", methods=["POST"], roles=STAFF,
           response=obj({"member_no": TEXT, "initial_password": TEXT}, ("member_no", "initial_password")))
def initial_password(req: Request, member_no: str) -> dict[str, Any]:
    return service.issue_initial_password(req.principal, member_no)


# -- staff: Excel -----------------------------------------------------------------------------------

@api.route("/members/import-template", roles=STAFF, produces=XLSX)
def import_template(req: Request) -> Response:
    data, filename = service.import_template()
    return _xlsx(data, filename, "member-import-template.xlsx")


@api.route("/members/imports", methods=["POST"], roles=STAFF, content_types=[XLSX, "application/octet-stream"],
           query={"mode": {"enum": ["dry_run"]}}, response=OBJECT)
def import_members(req: Request) -> dict[str, Any]:
    return imports.run(req.principal, req.raw_body(), req.query.get("mode") or "dry_run", deps().job_files)


@api.route("/members/imports/uploads", methods=["POST"], roles=STAFF,
           response=obj({"upload_id": TEXT, "url": TEXT, "fields": OBJECT, "max_bytes": {"type": "integer"}},
                        ("upload_id", "url", "fields", "max_bytes")))
def start_import_upload(req: Request) -> dict[str, Any]:
    return imports.start_upload(deps(), req.principal)


@api.route("/members/imports/{upload_id}", roles=STAFF, response=OBJECT)
def import_check_report(req: Request, upload_id: str) -> dict[str, Any]:
    return imports.checked_report(deps(), req.principal, upload_id)


# -- member self-service ----------------------------------------------------------------------------

@api.route("/me", roles=(MEMBER,), response=ME)
def get_me(req: Request) -> dict[str, Any]:
    return service.get_me(req.principal, deps().settings.face.max_failed_attempts)


@api.route("/me", methods=["PATCH"], roles=(MEMBER,), request=MEMBER_CHANGE, response=ME)
def update_me(req: Request) -> dict[str, Any]:
    return service.update_me(req.principal, req.json(), deps().settings.face.max_failed_attempts)


# -- applications (申请审核) -------------------------------------------------------------------------

@api.route("/public/applications", methods=["POST"], request=obj({**member_fields(), **CAPTCHA}),
           response=obj({"app_id": TEXT, "status": TEXT}, ("app_id", "status")), status=201)
def submit_application(req: Request) -> Response:
    return json_response(applications.submit(deps().settings, req.json(), req.client_ip), status=201)


@api.route("/applications", roles=STAFF, query=APP_QUERY, response=items_page())
def list_applications(req: Request) -> dict[str, Any]:
    return applications.list_applications(req.principal, req.query)


@api.route("/applications/{app_id}", roles=STAFF, response=OBJECT)
def get_application(req: Request, app_id: str) -> dict[str, Any]:
    return applications.get_application(req.principal, app_id)


@api.route("/applications/{app_id}/approve", methods=["POST"], roles=STAFF, response=OBJECT)
def approve_application(req: Request, app_id: str) -> dict[str, Any]:
    return applications.approve(deps().settings, deps().mailer, req.principal, app_id)


@api.route("/applications/{app_id}/reject", methods=["POST"], roles=STAFF, request=REASON, response=OBJECT)
def reject_application(req: Request, app_id: str) -> dict[str, Any]:
    return applications.reject(deps().mailer, req.principal, app_id, req.json())

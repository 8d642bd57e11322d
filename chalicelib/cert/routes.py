"""HTTP routes of the certificate area (thin: read the request, call one service function, return)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.auth.authorizer import token_authorizer
from chalicelib.bootstrap import deps
from chalicelib.contract import TEXT, obj
from chalicelib.lazy import lazy_module
from chalicelib.principal import MEMBER, STAFF
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib.cert import service
    from chalicelib.members import records
    from chalicelib.members.records import Member
else:  # loaded on first use (docs/architecture.md, "Cold start")
    service = lazy_module("chalicelib.cert.service")
    records = lazy_module("chalicelib.members.records")

api = Api(__name__, authorizer=token_authorizer)

# The shapes these routes validate and answer with (for the OpenAPI document, chalicelib/openapi/routes.py).
LINK_QUERY = {"link": {"enum": ["0", "1"]}}
LINK = obj({"url": TEXT}, ("url",))  # with ?link=1: a short-lived download link instead of the PDF


def _deliver(req: Request, member: Member) -> Any:
    d = deps()
    cert = service.download(d, req.principal, member)
    if req.query.get("link") == "1":
        return service.presigned_link(d, cert)
    return Response(body=cert.pdf, status_code=200, headers={
        "Content-Type": "application/pdf", "Cache-Control": "private, no-store",
        "Content-Disposition": service.content_disposition(cert)})


@api.route("/me/certificate", roles=(MEMBER,), produces="application/pdf", response=LINK, query=LINK_QUERY)
def my_certificate(req: Request) -> Any:
    return _deliver(req, records.own(req.principal, consistent=True))


@api.route("/members/{member_no}/certificate", roles=STAFF, produces="application/pdf", response=LINK,
           query=LINK_QUERY)
def member_certificate(req: Request, member_no: str) -> Any:
    return _deliver(req, records.visible_to(req.principal, member_no, consistent=True))


@api.route("/public/verify/{member_no}", query={"c": TEXT},
           response=obj({"valid": {"type": "boolean"}, "status": TEXT}, ("valid",)))
def verify(req: Request, member_no: str) -> dict[str, Any]:
    return service.verify(deps(), member_no, req.query.get("c", ""))


"""HTTP routes of the jobs room (thin: read the request, call one service function, return)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.auth.authorizer import token_authorizer
from chalicelib.bootstrap import deps
from chalicelib.lazy import lazy_module
from chalicelib.principal import STAFF
from chalicelib.web import Api, Request, json_response

if TYPE_CHECKING:
    from chalicelib.jobs import service
else:  # loaded on first use (docs/architecture.md, "Cold start")
    service = lazy_module("chalicelib.jobs.service")

api = Api(__name__, authorizer=token_authorizer)


@api.route("/jobs", methods=["POST"], roles=STAFF)
def start_job(req: Request) -> Response:
    return json_response(service.start(deps(), req.principal, req.json()), status=202)


@api.route("/jobs", roles=STAFF)
def list_jobs(req: Request) -> dict[str, Any]:
    return service.list_jobs(req.principal)


@api.route("/jobs/{job_id}", roles=STAFF)
def get_job(req: Request, job_id: str) -> dict[str, Any]:
    return service.get(req.principal, job_id)


@api.route("/jobs/{job_id}/cancel", methods=["POST"], roles=STAFF)
def cancel_job(req: Request, job_id: str) -> dict[str, Any]:
    return service.cancel(req.principal, job_id)


@api.route("/jobs/{job_id}/result", roles=STAFF)
def job_result(req: Request, job_id: str) -> dict[str, Any]:
    return service.result(deps(), req.principal, job_id, req.query.get("part", ""))

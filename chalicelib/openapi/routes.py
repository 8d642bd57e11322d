"""The OpenAPI 3.1 document of the HTTP API, generated from the route table.

Every route goes through `web.Api.route`, which records what the route declares (roles, the
request body it validates, its success body or binary media type, its query parameters) on the
view. This module walks the Chalice route table (`app.routes`) and turns those declarations into
one document, served at `GET /openapi.json` and written to docs/openapi.json
(scripts/write_openapi.py). Because it is built from the table, a route cannot exist without a
description, and the description cannot name a route that does not exist.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from chalicelib import contract
from chalicelib.web import Api, Request, RouteContract

api = Api(__name__)

TITLE = "中注协非执业会员电子证书 API"
VERSION = "1.0.0"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
_PARAM = re.compile(r"{([^}]+)}")


def _tag(view: Any) -> str:
    parts = str(getattr(view, "__module__", "")).split(".")
    return parts[1] if len(parts) > 2 else parts[-1]


def _responses(c: RouteContract) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if c.produces:
        content[c.produces] = {"schema": {"type": "string", "format": "binary"}}
    if c.response is not None or not c.produces:
        content["application/json"] = {"schema": c.response or contract.OBJECT}
    error = {"description": "错误:{\"code\", \"message\", ...}",
             "content": {"application/json": {"schema": ERROR_REF}}}
    return {str(c.status): {"description": "成功", "content": content}, "4XX": error}


def _request_body(c: RouteContract) -> dict[str, Any] | None:
    if c.content_types:
        return {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                              for t in c.content_types}}
    if c.request is not None:
        return {"required": False, "content": {"application/json": {"schema": c.request}}}
    return None


def _operation(path: str, method: str, view: Any) -> dict[str, Any]:
    c: RouteContract = view.contract
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PARAM.findall(path)]
    params += [{"name": name, "in": "query", "required": False, "schema": s} for name, s in c.query.items()]
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{view.__name__}",
        "summary": c.summary,
        "tags": [_tag(view)],
        "responses": _responses(c),
    }
    if params:
        op["parameters"] = params
    body = _request_body(c)
    if body is not None:
        op["requestBody"] = body
    if c.roles is None:
        op["security"] = []
    else:
        op["x-roles"] = list(c.roles)
    return op


def build(routes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The document for a Chalice route table ({path: {method: RouteEntry}})."""
    paths: dict[str, Any] = {}
    for path in sorted(routes):
        for method in sorted(routes[path]):
            view = routes[path][method].view_function
            if getattr(view, "contract", None) is None:
                raise ValueError(f"{method} {path} is not registered through web.Api")
            paths.setdefault(path, {})[method.lower()] = _operation(path, method, view)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "JSON unless stated. Errors: HTTP status + {\"code\", \"message\", ...}. "
                                "Auth: `Authorization: Bearer <token>` from POST /auth/login."},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": contract.ERROR},
        },
    }


@api.route("/openapi.json")
def openapi_document(req: Request) -> dict[str, Any]:
    """This document."""
    return build(api.blueprint.current_app.routes)

"""The one place where HTTP meets the services.

Chalice has no exception-handler hook, and middleware sees a route's exception only after
Chalice has already turned it into a 500, so every route is registered through `Api.route`,
which
- reads the principal that the token authorizer put into the request context,
- enforces the route's roles (and the "change your initial password first" rule),
- renders `AppError` as `{"code", "message", ...}` with its status, and any other exception as
  a generic 500 whose details go to the log only (never a traceback to the client).

Scope checks on records (which member a principal may see) live in the services, which get the
principal as an argument; this module only decides who may call a route at all.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from chalice import Blueprint, CORSConfig, Response

from chalicelib import config
from chalicelib.errors import AppError, BadRequest, Forbidden, Unauthorized, failure_site
from chalicelib.principal import ANY_SIGNED_IN, ASSOCIATION_STAFF, MEMBER, NATIONAL_STAFF, STAFF, Principal

__all__ = ["ANY_SIGNED_IN", "ASSOCIATION_STAFF", "MEMBER", "NATIONAL_STAFF", "STAFF", "Api", "Principal",
           "Request", "RouteContract", "json_response"]

log = logging.getLogger(__name__)

def _cors() -> CORSConfig:
    """Browsers call the API from the static site's origin (SITE_URL); auth is a bearer token,
    never a cookie, so no credentials are allowed cross-origin."""
    return CORSConfig(allow_origin=config.cors_origin(), allow_headers=["Authorization", "Content-Type", "Accept"],
                      expose_headers=["Content-Disposition", "Retry-After"], max_age=600)


JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False, default=str), status_code=status,
                    headers={**JSON_HEADERS, **(headers or {})})


def error_response(err: AppError) -> Response:
    return json_response(err.body(), status=err.status, headers=err.headers)


def internal_error(route: str = "") -> Response:
    """The generic 500. The log line names the exception type, a reference the client sees, the
    route and where it happened (file, line, function), but never the exception's message or a
    traceback with values: those often carry the member's data (a name, an address)."""
    ref = uuid.uuid4().hex[:12]
    exc = sys.exc_info()[1]
    where = failure_site(exc) if exc else ""
    log.error("unhandled error ref=%s type=%s route=%s at=%s", ref, type(exc).__name__ if exc else "?",
              route, where)
    return json_response({"code": "INTERNAL_ERROR", "message": "系统繁忙,请稍后再试", "ref": ref},
                         status=500)


def _principal_from_context(context: dict[str, Any] | None) -> Principal | None:
    auth = (context or {}).get("authorizer") or {}
    if not auth.get("principalId"):
        return None

    def flag(v: Any) -> bool:
        return v is True or str(v).lower() == "true"

    return Principal(
        username=str(auth.get("principalId")),
        role=str(auth.get("role", "")),
        association=str(auth.get("association", "")),
        member_no=str(auth.get("member_no", "")),
        must_change_password=flag(auth.get("must_change_password")),
        jti=str(auth.get("jti", "")),
        exp=int(auth.get("exp") or 0),
    )


@dataclass(frozen=True)
class RouteContract:
    """What a route declares about itself, for the OpenAPI document."""

    summary: str
    roles: tuple[str, ...] | None
    allow_initial_password: bool
    content_types: tuple[str, ...]
    request: dict[str, Any] | None
    response: dict[str, Any] | None
    produces: str | None
    query: dict[str, dict[str, Any]]
    status: int


class Api:
    """A Chalice blueprint whose routes go through the one error/role wrapper.

    `roles=None` marks a public route (no authorizer). Otherwise the route is protected by the
    token authorizer and only the listed roles may call it; others get 403.
    """

    def __init__(self, import_name: str, authorizer: Any | None = None) -> None:
        self.blueprint = Blueprint(import_name)
        self._authorizer = authorizer

    def route(self, path: str, methods: Iterable[str] = ("GET",), roles: Iterable[str] | None = None,
              *, allow_initial_password: bool = False, content_types: list[str] | None = None,
              request: dict[str, Any] | None = None, response: dict[str, Any] | None = None,
              produces: str | None = None, query: dict[str, dict[str, Any]] | None = None,
              status: int = 200,
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a route. The keyword-only data after `content_types` describes the route for
        the OpenAPI document (chalicelib/openapi/routes.py): the JSON Schema of the request body the
        route validates, of its success body, a binary media type it answers with instead of
        JSON, its query parameters, and its success status."""
        allowed = tuple(roles) if roles is not None else None
        route_name = f"{','.join(methods)} {path}"
        accepted = tuple(content_types or ("application/json",))
        request_schema = request if not content_types else None

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def view(**params: Any) -> Any:
                try:
                    request = self.blueprint.current_request
                    content_type = request.headers.get("content-type", "application/json")
                    if not _media_type_allowed(content_type, accepted):
                        raise UnsupportedMediaType(f"不支持的请求内容类型:{content_type[:80]}")
                    principal = None
                    if allowed is not None:
                        principal = _principal_from_context(request.context)
                        if principal is None:
                            raise Unauthorized()
                        if principal.role not in allowed:
                            raise Forbidden()
                        if principal.must_change_password and not allow_initial_password:
                            raise Forbidden("首次登录请先修改初始密码", code="PASSWORD_CHANGE_REQUIRED")
                    req = Request(request, principal)
                    if request_schema is not None and request.method in ("POST", "PATCH", "PUT"):
                        check_structure(req.json(), request_schema)
                    result = fn(req, **params)
                    if isinstance(result, Response):
                        return result
                    return json_response(result)
                except AppError as err:
                    return error_response(err)
                except Exception:  # noqa: BLE001 - the last line of defence before the client
                    return internal_error(route_name)

            # Chalice's own media-type refusal answers {"Code", "Message"} outside the error
            # contract; the wrapper checks `accepted` instead and answers 415 in it.
            kwargs: dict[str, Any] = {"methods": list(methods), "cors": _cors(), "content_types": ["*/*"]}
            if allowed is not None and self._authorizer is not None:
                kwargs["authorizer"] = self._authorizer
            view.roles = allowed  # type: ignore[attr-defined]  # read by the authorization-matrix test
            view.contract = RouteContract(  # type: ignore[attr-defined]  # read by chalicelib.openapi.routes
                summary=(fn.__doc__ or fn.__name__.replace("_", " ")).strip().splitlines()[0],
                roles=allowed, allow_initial_password=allow_initial_password,
                content_types=tuple(content_types or ()), request=request, response=response,
                produces=produces, query=dict(query or {}), status=status)
            self.blueprint.route(path, **kwargs)(view)
            return fn

        return decorator


def _encodable(value: Any) -> bool:
    """False when a string anywhere in a JSON value holds a lone UTF-16 surrogate (JSON can spell
    `\\udbaf`; no UTF-8 text, DynamoDB item or hash input can hold it)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


def _media_type_allowed(header: str, allowed: tuple[str, ...]) -> bool:
    parts = {p.strip().lower() for p in header.replace(",", ";").split(";")}
    return "*/*" in parts or bool(parts & {a.lower() for a in allowed})


_KINDS: dict[str, tuple[type, str]] = {"object": (dict, "对象"), "array": (list, "列表")}


def check_structure(body: Any, schema: dict[str, Any], where: str = "") -> None:
    """Refuse a JSON body whose objects and lists are not where the route's declared schema puts
    them (400 INVALID_BODY), so that services never meet a list where they expect an object.
    Only structure is checked here: text, numbers, required fields and options keep the
    services' own field-level messages."""
    kind = _KINDS.get(str(schema.get("type")))
    if kind is not None and not isinstance(body, kind[0]):
        err = BadRequest(f"{where or '请求内容'} 应为{kind[1]}", code="INVALID_BODY")
        if where:
            err.extra["field"] = where
        raise err
    if isinstance(body, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in body and body[key] is not None:
                check_structure(body[key], sub, f"{where}.{key}" if where else key)
    elif isinstance(body, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(body):
            check_structure(item, schema["items"], f"{where}[{i}]")


class UnsupportedMediaType(AppError):
    status, code, message = 415, "UNSUPPORTED_MEDIA_TYPE", "不支持的请求内容类型"


class Request:
    """The parts of a Chalice request a view needs, plus the principal."""

    def __init__(self, raw: Any, principal: Principal | None) -> None:
        self.raw = raw
        self._principal = principal

    @property
    def principal(self) -> Principal:
        """The caller of a protected route (the wrapper has checked it); 401 on a public route."""
        if self._principal is None:
            raise Unauthorized()
        return self._principal

    @property
    def query(self) -> dict[str, str]:
        return dict(self.raw.query_params or {})

    @property
    def headers(self) -> Any:
        return self.raw.headers

    @property
    def client_ip(self) -> str:
        identity = (self.raw.context or {}).get("identity") or {}
        return str(identity.get("sourceIp") or "unknown")

    def json(self) -> dict[str, Any]:
        if not self.raw_body().strip():
            return {}  # a POST without a body (e.g. a plain "confirm") has no options
        try:
            body = self.raw.json_body
        except Exception as exc:  # chalice raises BadRequestError on malformed JSON
            raise BadRequest("请求内容不是有效的 JSON", code="INVALID_JSON") from exc
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise BadRequest("请求内容应为 JSON 对象", code="INVALID_JSON")
        if not _encodable(body):
            raise BadRequest("请求内容包含无效字符", code="INVALID_JSON")
        return body

    def raw_body(self) -> bytes:
        return self.raw.raw_body or b""

    def wants(self, content_type: str) -> bool:
        return content_type in (self.raw.headers.get("accept") or "")

"""HTTP routes of the auth area (thin: read the request, call one service function, return)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.auth.authorizer import token_authorizer
from chalicelib.bootstrap import deps
from chalicelib.lazy import lazy_module
from chalicelib.principal import ANY_SIGNED_IN
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib.auth import captcha, service
else:  # loaded on first use (docs/architecture.md, "Cold start")
    captcha = lazy_module("chalicelib.auth.captcha")
    service = lazy_module("chalicelib.auth.service")

api = Api(__name__, authorizer=token_authorizer)


@api.route("/auth/captcha")
def new_captcha(req: Request) -> dict[str, Any]:
    captcha_id, _answer, image = captcha.create(deps().settings, repo=deps().auth_store)
    return {"captcha_id": captcha_id, "image": image}


@api.route("/auth/login", methods=["POST"])
def login(req: Request) -> dict[str, Any]:
    return service.login(deps().settings, deps().members, req.json(), req.client_ip, repo=deps().auth_store)


@api.route("/auth/logout", methods=["POST"], roles=ANY_SIGNED_IN, allow_initial_password=True)
def logout(req: Request) -> dict[str, Any]:
    return service.logout(req.principal, repo=deps().auth_store)


@api.route("/auth/session", roles=ANY_SIGNED_IN, allow_initial_password=True)
def session(req: Request) -> dict[str, Any]:
    return service.session(deps().members, req.principal, repo=deps().auth_store)


@api.route("/auth/password/change", methods=["POST"], roles=ANY_SIGNED_IN, allow_initial_password=True)
def change_password(req: Request) -> dict[str, Any]:
    return service.change_password(deps().settings, deps().members, req.principal, req.json(),
                                   repo=deps().auth_store)


@api.route("/auth/password/forgot", methods=["POST"])
def forgot_password(req: Request) -> dict[str, Any]:
    d = deps()
    return service.forgot_password(d.settings, d.mailer, d.members, req.json(), req.client_ip, repo=d.auth_store)


@api.route("/auth/password/reset", methods=["POST"])
def reset_password(req: Request) -> dict[str, Any]:
    return service.reset_password(deps().settings, req.json(), repo=deps().auth_store)


@api.route("/public/lookup", methods=["POST"])
def lookup(req: Request) -> dict[str, Any]:
    return service.lookup(deps().settings, deps().members, req.json(), req.client_ip, repo=deps().auth_store)

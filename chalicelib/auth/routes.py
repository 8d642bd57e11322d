"""HTTP routes of the auth area (thin: read the request, call one service function, return)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.auth.authorizer import token_authorizer
from chalicelib.bootstrap import deps
from chalicelib.contract import CAPTCHA, OBJECT, TEXT, obj
from chalicelib.lazy import lazy_module
from chalicelib.principal import ANY_SIGNED_IN
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib.auth import captcha, service
else:  # loaded on first use (docs/architecture.md, "Cold start")
    captcha = lazy_module("chalicelib.auth.captcha")
    service = lazy_module("chalicelib.auth.service")

api = Api(__name__, authorizer=token_authorizer)

LOGIN = obj({"user_type": {"enum": ["member", "staff"]}, "username": TEXT, "password": TEXT, **CAPTCHA},
            ("user_type", "username", "password"))
SESSION_START = obj({"token": TEXT, "expires_in": {"type": "integer"}, "user": OBJECT}, ("token", "expires_in", "user"))
OK = obj({"ok": {"type": "boolean"}}, ("ok",))


@api.route("/auth/captcha", response=obj({"captcha_id": TEXT, "image": TEXT}, ("captcha_id", "image")))
def new_captcha(req: Request) -> dict[str, Any]:
    captcha_id, _answer, image = captcha.create(deps().settings, repo=deps().auth_store)
    return {"captcha_id": captcha_id, "image": image}


@api.route("/auth/login", methods=["POST"], request=LOGIN, response=SESSION_START)
def login(req: Request) -> dict[str, Any]:
    return service.login(deps().settings, deps().members, req.json(), req.client_ip, repo=deps().auth_store)


@api.route("/auth/logout", methods=["POST"], roles=ANY_SIGNED_IN, allow_initial_password=True, response=OK)
def logout(req: Request) -> dict[str, Any]:
    return service.logout(req.principal, repo=deps().auth_store)


@api.route("/auth/session", roles=ANY_SIGNED_IN, allow_initial_password=True,
           response=obj({"user": OBJECT, "expires_at": {"type": "integer"}}, ("user",)))
def session(req: Request) -> dict[str, Any]:
    return service.session(deps().members, req.principal, repo=deps().auth_store)


@api.route("/auth/password/change", methods=["POST"], roles=ANY_SIGNED_IN, allow_initial_password=True,
           request=obj({"old_password": TEXT, "new_password": TEXT}, ("old_password", "new_password")))
def change_password(req: Request) -> dict[str, Any]:
    return service.change_password(deps().settings, deps().members, req.principal, req.json(),
                                   repo=deps().auth_store)


@api.route("/auth/password/forgot", methods=["POST"], request=obj({"username": TEXT, "user_type": TEXT, **CAPTCHA}))
def forgot_password(req: Request) -> dict[str, Any]:
    d = deps()
    return service.forgot_password(d.settings, d.mailer, d.members, req.json(), req.client_ip, repo=d.auth_store)


@api.route("/auth/password/reset", methods=["POST"],
           request=obj({"username": TEXT, "user_type": TEXT, "code": TEXT, "new_password": TEXT}), response=OK)
def reset_password(req: Request) -> dict[str, Any]:
    return service.reset_password(deps().settings, req.json(), repo=deps().auth_store)


@api.route("/public/lookup", methods=["POST"],
           request=obj({"name": TEXT, "id_type": TEXT, "id_number": TEXT, **CAPTCHA}, ("name", "id_type", "id_number")))
def lookup(req: Request) -> dict[str, Any]:
    return service.lookup(deps().settings, deps().members, req.json(), req.client_ip, repo=deps().auth_store)

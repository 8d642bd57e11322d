"""HTTP routes of the auth area (thin: read the request, call one service function, return)."""

from __future__ import annotations

from typing import Any, Callable

from chalice import Response

from chalicelib.auth import captcha, service
from chalicelib.auth.authorizer import token_authorizer
from chalicelib.bootstrap import deps
from chalicelib.errors import TooManyRequests
from chalicelib.principal import ANY_SIGNED_IN
from chalicelib.web import Api, Request, json_response

api = Api(__name__, authorizer=token_authorizer)


def _retry_after(call: Callable[[], dict[str, Any]]) -> dict[str, Any] | Response:
    """A 429 also carries the standard Retry-After header next to `retry_after` in the body."""
    try:
        return call()
    except TooManyRequests as err:
        return json_response(err.body(), status=429, headers={"Retry-After": str(err.extra.get("retry_after", 1))})


@api.route("/auth/captcha")
def new_captcha(req: Request) -> dict[str, Any]:
    captcha_id, _answer, image = captcha.create()
    return {"captcha_id": captcha_id, "image": image}


@api.route("/auth/login", methods=["POST"])
def login(req: Request) -> dict[str, Any] | Response:
    return _retry_after(lambda: service.login(deps().settings, deps().members, req.json(), req.client_ip))


@api.route("/auth/logout", methods=["POST"], roles=ANY_SIGNED_IN, allow_initial_password=True)
def logout(req: Request) -> dict[str, Any]:
    return service.logout(req.principal)


@api.route("/auth/session", roles=ANY_SIGNED_IN, allow_initial_password=True)
def session(req: Request) -> dict[str, Any]:
    return service.session(deps().members, req.principal)


@api.route("/auth/password/change", methods=["POST"], roles=ANY_SIGNED_IN, allow_initial_password=True)
def change_password(req: Request) -> dict[str, Any] | Response:
    return _retry_after(lambda: service.change_password(deps().settings, deps().members, req.principal, req.json()))


@api.route("/auth/password/forgot", methods=["POST"])
def forgot_password(req: Request) -> dict[str, Any] | Response:
    d = deps()
    return _retry_after(lambda: service.forgot_password(d.settings, d.mailer, d.members, req.json(), req.client_ip))


@api.route("/auth/password/reset", methods=["POST"])
def reset_password(req: Request) -> dict[str, Any]:
    return service.reset_password(deps().settings, req.json())


@api.route("/public/lookup", methods=["POST"])
def lookup(req: Request) -> dict[str, Any] | Response:
    return _retry_after(lambda: service.lookup(deps().members, req.json(), req.client_ip))

"""One error family, rendered in one place; no traceback ever reaches a client."""

from chalice import Chalice
from chalice.test import Client

from chalicelib.errors import Conflict
from chalicelib.web import Api


def _app() -> Chalice:
    api = Api("errors_test")

    @api.route("/boom")
    def boom(req):
        raise RuntimeError("secret detail /etc/passwd")

    @api.route("/conflict")
    def conflict(req):
        raise Conflict("记录已被他人修改", code="VERSION_CONFLICT", current_version=3)

    @api.route("/echo", methods=["POST"])
    def echo(req):
        return req.json()

    app = Chalice("errors-test")
    app.register_blueprint(api.blueprint)
    return app


def test_app_error_is_rendered_as_code_and_message():
    with Client(_app()) as c:
        r = c.http.get("/conflict")
    assert r.status_code == 409
    assert r.json_body == {"code": "VERSION_CONFLICT", "message": "记录已被他人修改", "current_version": 3}


def test_unexpected_error_is_a_generic_500_without_details():
    with Client(_app()) as c:
        r = c.http.get("/boom")
    assert r.status_code == 500
    assert r.json_body["code"] == "INTERNAL_ERROR"
    assert b"secret" not in r.body and b"Traceback" not in r.body


def test_malformed_json_is_a_clear_400():
    with Client(_app()) as c:
        r = c.http.post("/echo", body=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json_body["code"] == "INVALID_JSON"


def test_real_app_is_not_in_debug_mode():
    import app as app_module

    assert app_module.app.debug is False

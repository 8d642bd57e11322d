"""The OpenAPI document: generated from the route table, valid 3.1, committed up to date."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

import app as app_module
from chalicelib.openapi import routes as openapi
from tests.conftest import ROOT

DOC_FILE = ROOT / "docs" / "openapi.json"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi.build(app_module.app.routes)


def _operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}


def _routes() -> set[tuple[str, str]]:
    return {(m, p) for p, methods in app_module.app.routes.items() for m in methods}


def test_every_route_is_described_and_nothing_else(doc: dict[str, Any]) -> None:
    assert _operations(doc) == _routes()


def test_the_committed_document_describes_exactly_the_routes() -> None:
    committed = json.loads(DOC_FILE.read_text(encoding="utf-8"))
    assert _operations(committed) - _routes() == set(), "describes routes that do not exist"
    assert _routes() - _operations(committed) == set(), "routes without a description"


def test_the_committed_document_is_not_stale() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "write_openapi.py")], check=True,
                         capture_output=True, text=True, cwd=ROOT, timeout=120).stdout
    assert out == DOC_FILE.read_text(encoding="utf-8"), \
        "docs/openapi.json is stale: python scripts/write_openapi.py > docs/openapi.json"


def test_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    errors = list(OpenAPIV31SpecValidator(doc).iter_errors())
    assert errors == []


def test_a_route_outside_web_api_cannot_be_described() -> None:
    class Entry:
        view_function = staticmethod(lambda: None)

    with pytest.raises(ValueError, match="web.Api"):
        openapi.build({"/x": {"GET": Entry()}})


def test_names_security_binary_bodies_and_the_client_routes(doc: dict[str, Any]) -> None:
    paths = doc["paths"]
    for path in ("/meta", "/meta/messages", "/me/photo/direct-uploads", "/openapi.json"):
        assert path in paths
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert paths["/auth/login"]["post"]["security"] == []
    assert "security" not in paths["/me"]["get"]  # the document-wide bearer requirement applies
    assert paths["/me"]["get"]["x-roles"] == ["member"]
    assert "application/pdf" in paths["/me/certificate"]["get"]["responses"]["200"]["content"]
    assert "image/jpeg" in paths["/me/photo"]["get"]["responses"]["200"]["content"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx in paths["/members/import-template"]["get"]["responses"]["200"]["content"]
    assert "/members/export" not in paths and "/members/certificates/bulk" not in paths  # jobs do both
    assert xlsx in paths["/members/imports"]["post"]["requestBody"]["content"]
    assert paths["/members"]["post"]["responses"].keys() == {"201", "4XX"}
    error = paths["/me"]["patch"]["responses"]["4XX"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert set(doc["components"]["schemas"]["Error"]["required"]) == {"code", "message"}


def test_member_bodies_come_from_the_field_schema(doc: dict[str, Any]) -> None:
    from chalicelib.members.schema import FIELDS, MEMBER_EDITABLE_KEYS

    me = doc["paths"]["/me"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(me["properties"]["changes"]["properties"]) == set(MEMBER_EDITABLE_KEYS)
    create = doc["paths"]["/members"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(create["properties"]) == {f.key for f in FIELDS}
    gender = create["properties"]["gender"]
    assert gender["enum"] == ["", "男", "女"] and gender["title"] == "性别"


def test_served_publicly(client: Any) -> None:
    res = client.http.get("/openapi.json")
    assert res.status_code == 200
    assert _operations(res.json_body) == _routes()

"""The public meta routes through the Chalice test client: the field schema and the health check."""

from tests.unit.core.test_schema import DESIGN_KEYS


def test_meta_fields_route(client):
    r = client.http.get("/meta/fields")
    assert r.status_code == 200
    body = r.json_body
    assert {f["key"] for f in body["fields"]} == set(DESIGN_KEYS)
    assert all({"key", "label", "type", "options", "required", "member_editable", "group"} <= set(f)
               for f in body["fields"])
    assert len(body["associations"]) >= 36


def test_health(client):
    r = client.http.get("/health")
    assert r.status_code == 200 and r.json_body == {"ok": True}

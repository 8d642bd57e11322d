"""The public meta routes through the Chalice test client: the field schema and the health check."""

from chalicelib.members import schema
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


def test_meta_serves_every_shared_list(client):
    from chalicelib.photo.spec import SPEC

    body = client.http.get("/meta").json_body
    assert body == client.http.get("/meta/fields").json_body
    assert body["application_required"] == list(schema.APPLICATION_REQUIRED)
    assert set(body["application_required"]) <= {f["key"] for f in body["fields"]}
    assert body["identity_fields"] == ["name", "id_type", "id_number"]
    assert body["statuses"]["member"] == [{"value": "active", "label": "正常"},
                                          {"value": "suspended", "label": "暂停"},
                                          {"value": "cancelled", "label": "注销"}]
    assert [s["value"] for s in body["statuses"]["photo"]] == ["none", "pending", "accepted", "rejected", "review"]
    assert [s["value"] for s in body["statuses"]["application"]] == ["pending", "approved", "rejected"]
    assert all(s["label"] for group in body["statuses"].values() for s in group)
    spec = body["photo_spec"]
    assert (spec["width"], spec["height"], spec["min_bytes"], spec["max_bytes"]) == (
        SPEC.width, SPEC.height, SPEC.min_bytes, SPEC.max_bytes)
    assert spec["min_dpi"] == 96 and spec["source_max_bytes"] == SPEC.prepare_max_bytes
    patterns = body["validation"]["patterns"]
    for name in ("mobile_cn", "phone", "email", "postal_code", "qq", "date", "resident_id", "other_id"):
        assert patterns[name]["pattern"].startswith("^") and patterns[name]["pattern"].endswith("$")
        assert patterns[name]["message"]
    for names in body["validation"]["type_patterns"].values():
        assert set(names) <= set(patterns)


def test_meta_publishes_the_support_contact(client):
    """Every page and error names the help line; /meta is where the pages read it from."""
    body = client.http.get("/meta").json_body
    assert body["support"] == {"phone": "010-88250337/0338", "label": "咨询电话"}
    assert client.http.get("/meta/fields").json_body["support"] == body["support"]


def test_support_phone_is_a_stage_setting(monkeypatch):
    import os

    from chalicelib import bootstrap
    from chalicelib.config import Settings
    from chalicelib.meta.routes import body

    env = dict(os.environ)
    assert Settings.from_env({**env, "SUPPORT_PHONE": ""}).support_phone == "010-88250337/0338"
    assert Settings.from_env({**env, "SUPPORT_PHONE": " 010-1234 "}).support_phone == "010-1234"
    monkeypatch.setenv("SUPPORT_PHONE", "400-000-0000")
    bootstrap.reset()
    try:
        assert body()["support"]["phone"] == "400-000-0000"
    finally:
        monkeypatch.delenv("SUPPORT_PHONE")
        bootstrap.reset()

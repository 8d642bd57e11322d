"""Control characters and invisible direction controls: refused on input with a Chinese message,
harmless in exports when already stored, and no personal data in the log of a failure."""

from __future__ import annotations

import io
import json
import logging

import pytest
from openpyxl import load_workbook

from chalicelib.members import service
from chalicelib.members.models import MemberModel
from tests.integration.export_job import export_xlsx


def _patch_me(client, me, changes):
    version = client.http.get("/me", headers=me.headers).json_body["member"]["version"]
    return client.http.patch("/me", headers=me.headers, body=json.dumps({"version": version, "changes": changes}))


@pytest.mark.parametrize("changes,key", [
    ({"address": "A\u0000B"}, "address"),
    ({"employer": "某\u202e司公"}, "employer"),
    ({"school": "某\u2067大学\u2069"}, "school"),
    ({"major": "会计\u0085学"}, "major"),
    ({"employer": "第一行\n第二行"}, "employer"),
])
def test_a_member_cannot_save_control_characters(client, persona, make_member, changes, key):
    m = make_member()
    me = persona("member", member_no=m.member_no)
    r = _patch_me(client, me, changes)
    assert r.status_code == 422, r.body
    errors = r.json_body["errors"]
    assert errors[0]["key"] == key and "控制字符" in errors[0]["message"]
    assert MemberModel.get(m.member_no).profile[key] == m.profile[key]


def test_a_multi_line_field_keeps_its_line_break(client, persona, make_member):
    m = make_member()
    me = persona("member", member_no=m.member_no)
    r = _patch_me(client, me, {"address": "北京市海淀区\n某某路1号"})
    assert r.status_code == 200, r.body
    assert MemberModel.get(m.member_no).profile["address"] == "北京市海淀区\n某某路1号"


def test_staff_cannot_enter_a_name_with_an_override(client, persona):
    staff = persona("association_staff")
    r = client.http.post("/members", headers=staff.headers, body=json.dumps({
        "name": "张\u202e三", "id_type": "护照", "id_number": "E12345678"}))
    assert r.status_code == 422 and r.json_body["errors"][0]["key"] == "name"


def test_export_finishes_on_control_characters_stored_earlier(client, aws, persona, make_member):
    m = make_member()
    stored = MemberModel.get(m.member_no)
    stored.profile = {**stored.profile.as_dict(), "address": "A\u0000B\u001bC", "employer": "\u202e某公司"}
    stored.save()
    staff = persona("association_staff")
    ws = load_workbook(io.BytesIO(export_xlsx(client, aws, staff))).worksheets[0]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "ABC" in values  # the characters an .xlsx cannot hold are dropped, the rest kept


def test_a_failure_logs_no_personal_data(client, persona, make_member, monkeypatch, caplog):
    m = make_member()
    me = persona("member", member_no=m.member_no)

    def crash(*_args, **_kwargs):
        raise ValueError(f"cannot render {m.name} at {m.profile['address']}")

    monkeypatch.setattr(service, "get_me", crash)
    with caplog.at_level(logging.DEBUG):
        r = client.http.get("/me", headers=me.headers)
    assert r.status_code == 500 and r.json_body["code"] == "INTERNAL_ERROR"
    ref = r.json_body["ref"]
    logged = "\n".join(caplog.text.splitlines() + [r.getMessage() + str(r.exc_text or "") for r in caplog.records])
    assert ref in logged and "ValueError" in logged and "GET /me" in logged
    assert m.name not in logged and m.profile["address"] not in logged
    assert all(r.exc_info is None for r in caplog.records)


def test_a_photo_check_failure_is_retried_without_personal_data_in_the_log(client, aws, make_member,
                                                                            monkeypatch, caplog):
    from chalicelib import photo_events
    from chalicelib.photo.service import S3Object

    m = make_member()
    monkeypatch.setattr(photo_events, "parse_sqs_body", lambda body: [S3Object("uploads/x/y.jpg", "", "")])

    def crash(*_args, **_kwargs):
        raise ValueError(f"no photo for {m.name}, {m.profile['address']}")

    monkeypatch.setattr(photo_events, "handle_uploaded", crash)
    event = client.events.generate_sqs_event(message_bodies=["{}"], queue_name=aws.settings.photo_queue)
    with caplog.at_level(logging.DEBUG), pytest.raises(photo_events.PhotoCheckFailed) as raised:
        client.lambda_.invoke("photo_check", event)  # raises: SQS keeps the message for a retry
    assert m.name not in str(raised.value) and raised.value.__suppress_context__
    assert "ValueError" in caplog.text and m.name not in caplog.text and m.profile["address"] not in caplog.text

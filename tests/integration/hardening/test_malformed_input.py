"""Malformed input answers 4xx, never 500: JSON bodies of the wrong shape on the API, and poison
messages on the photo queue, which are logged once and dropped instead of retried into the DLQ."""

from __future__ import annotations

import json
import logging

import pytest


@pytest.mark.parametrize("body", [
    {"filter": [1]},
    {"filter": "x"},
    {"filter": {"name": ["a"]}},
    {"member_nos": "110000000001"},
    {"only_complete": "yes", "filter": 3},
])
def test_bulk_certificates_refuse_a_filter_of_the_wrong_shape(client, persona, body):
    staff = persona("association_staff", "110000")
    r = client.http.post("/jobs", headers=staff.headers, body=json.dumps({"kind": "bulk_certs", **body}))
    assert r.status_code == 400, r.body
    assert r.json_body["code"] in ("BAD_REQUEST", "INVALID_BODY", "INVALID_SELECTION", "INVALID_FILTER")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json_body["message"])


@pytest.mark.parametrize("path,method,body", [
    ("/members", "POST", []),
    ("/members", "POST", [1, 2]),
    ("/members", "POST", "text"),
    ("/auth/password/change", "POST", {"old_password": ["x"], "new_password": {"a": 1}}),
])
def test_json_of_the_wrong_shape_is_a_400(client, persona, make_member, path, method, body):
    m = make_member()
    who = persona("member", member_no=m.member_no) if path.startswith("/me") else persona("association_staff")
    r = client.http.request(method, path, headers=who.headers, body=json.dumps(body))
    assert 400 <= r.status_code < 500, r.body
    assert r.status_code != 500


@pytest.mark.parametrize("body", ["[1,2]", '{"Records":"x"}', '{"Records":[null]}', '{"Records":[{"s3":"x"}]}',
                                  '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":[1]}}]}',
                                  '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":5}}}]}',
                                  "1", "null", "not json"])
def test_a_poison_message_is_logged_once_and_dropped(client, aws, caplog, body):
    event = client.events.generate_sqs_event(message_bodies=[body], queue_name=aws.settings.photo_queue)
    with caplog.at_level(logging.WARNING):
        client.lambda_.invoke("photo_check", event)  # raises (and so would be retried) before the fix
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1

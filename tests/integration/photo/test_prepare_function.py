"""The photo auto-fix through the `photo_prepare` function, as the deployed stages run it.

With `PHOTO_PREPARE_FUNCTION` set, the API stages the upload in the (moto) photo bucket and
invokes the function; here the invoker is the local one (moto's Lambda needs docker): the same
handler app.py registers, called with the event and answer serialized through JSON and held to
Lambda's 6 MB, so the payload's shape and size are what Lambda would carry. The face engine is
the real dlib engine on the fixtures. Each test compares with the in-process path (setting
unset), which the local stack and the other tests use.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.photo import prepare_function
from chalicelib.photo.service import PREPARE_MAX_BYTES
from tests.conftest import FACES

PHONE_PHOTO = FACES / "orig" / "obama_02.jpg"


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every invocation of the function's handler: its event and answer, as JSON bytes."""
    seen: list[dict[str, Any]] = []
    handler = prepare_function.lambda_handler

    def recording(event: dict[str, Any], context: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"event": json.dumps(event).encode()}
        seen.append(entry)
        answer = handler(event, context)
        entry["answer"] = json.dumps(answer).encode()
        return answer

    monkeypatch.setattr(prepare_function, "lambda_handler", recording)
    return seen


def _through_function(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    """Set (or clear) the setting. Not through the environment: inside chalice.test.Client the
    environment is the `dev` stage's from .chalice/config.json, which names a real function."""
    d = bootstrap.deps()
    d.settings = replace(d.settings, photo_prepare_function=prepare_function.LOCAL if on else "")
    d.__dict__.pop("prepare_portrait", None)  # wired again from the setting on the next request


def _staged(aws: Any) -> list[Any]:
    s3 = aws.photos._s3
    found = s3.list_object_versions(Bucket=aws.photos.bucket, Prefix="prepare/")
    return found.get("Versions", []) + found.get("DeleteMarkers", [])


def _prepare(client: Any, who: Any, body: bytes) -> Any:
    return client.http.post("/me/photo/prepare", headers={**who.headers, "Content-Type": "image/jpeg"}, body=body)


def test_the_function_answers_what_the_api_process_answers(client, aws, persona, make_member, monkeypatch, calls):
    me = persona("member", "110000", member_no=make_member("110000").member_no)
    raw = PHONE_PHOTO.read_bytes()
    _through_function(monkeypatch, False)
    here = _prepare(client, me, raw)
    assert here.status_code == 200, here.body
    assert calls == []  # in process: the function is not involved
    _through_function(monkeypatch, True)
    there = _prepare(client, me, raw)
    assert there.status_code == 200, there.body
    assert there.json_body == here.json_body  # same candidate JPEG, same report
    fitted = base64.b64decode(there.json_body["image"].split(",", 1)[1])
    assert 10 * 1024 <= len(fitted) <= 20 * 1024
    assert len(calls) == 1
    event = json.loads(calls[0]["event"])
    assert set(event) == {"key", "version_id"} and event["key"].startswith("prepare/")
    assert me.member_no not in calls[0]["event"].decode()  # the key names no member
    # the function deleted the very version it read: no bytes, no delete marker left behind
    assert _staged(aws) == []


def test_staff_use_reference_through_the_function(client, aws, persona, make_member, monkeypatch, calls):
    m = make_member("110000")
    key = f"reference/{m.member_no}.jpg"
    aws.photos.put(key, (FACES / "spec_white" / "obama_02.jpg").read_bytes())
    m.refresh()
    m.reference_key = key
    m.save()
    staff = persona("association_staff", "110000")
    _through_function(monkeypatch, True)
    r = client.http.post(f"/members/{m.member_no}/photo/use-reference", headers=staff.headers)
    assert r.status_code == 200, r.body
    assert r.json_body["photo_status"] == "accepted" and len(calls) == 1
    current = client.http.get(f"/members/{m.member_no}/photo?kind=current",
                              headers={**staff.headers, "Accept": "image/jpeg"})
    assert current.status_code == 200 and current.body[:2] == b"\xff\xd8"
    assert _staged(aws) == []


class _DownEngine:
    name = "dlib"

    def scan(self, photo: Any) -> Any:
        raise RuntimeError("engine down")


def test_a_face_engine_failure_reaches_the_member_as_in_process(client, aws, persona, make_member, monkeypatch,
                                                                calls):
    me = persona("member", "110000", member_no=make_member("110000").member_no)
    raw = PHONE_PHOTO.read_bytes()
    answers = []
    for on in (False, True):
        _through_function(monkeypatch, on)
        bootstrap.deps().__dict__["face_engine"] = _DownEngine()  # the function's engine (same process)
        r = _prepare(client, me, raw)
        answers.append((r.status_code, r.json_body))
    assert answers[0] == answers[1]
    status, body = answers[1]
    assert status == 503 and body["code"] == "FACE_SERVICE_UNAVAILABLE" and body["message"] == "人脸比对服务暂时不可用,请稍后再试"
    assert json.loads(calls[0]["answer"])["error"]["code"] == "FACE_SERVICE_UNAVAILABLE"
    assert _staged(aws) == []


def test_a_failing_function_is_a_clear_503_and_leaves_nothing_staged(client, aws, persona, make_member, monkeypatch):
    def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise MemoryError  # as a function killed mid-way: no answer, the staged object not deleted

    monkeypatch.setattr(prepare_function, "lambda_handler", crash)
    me = persona("member", "110000", member_no=make_member("110000").member_no)
    _through_function(monkeypatch, True)
    r = _prepare(client, me, PHONE_PHOTO.read_bytes())
    assert r.status_code == 503
    assert r.json_body["code"] == "PHOTO_PREPARE_UNAVAILABLE"
    assert r.json_body["message"] == "照片自动处理服务暂时不可用,请稍后再试"
    assert _staged(aws) == []  # the API removed what the function could not


def test_the_largest_accepted_image_stays_far_under_lambdas_payload_limit(client, aws, persona, make_member,
                                                                          monkeypatch, calls):
    """8 MB is the most the route accepts; in base64 it would not fit in a 6 MB payload, which is
    why the image goes through the bucket. The event and the answer stay small whatever it is."""
    me = persona("member", "110000", member_no=make_member("110000").member_no)
    photo = PHONE_PHOTO.read_bytes()
    # a real portrait padded (after the JPEG's end) to exactly the route's limit
    largest = photo + b"\0" * (PREPARE_MAX_BYTES - len(photo))
    assert len(base64.b64encode(largest)) > prepare_function.MAX_PAYLOAD_BYTES
    _through_function(monkeypatch, True)
    r = _prepare(client, me, largest)
    assert r.status_code == 200, r.body
    assert r.json_body.get("image", "").startswith("data:image/jpeg;base64,")  # a candidate was made
    assert _prepare(client, me, largest + b"\0").status_code == 413  # one byte more is refused
    event, answer = calls[0]["event"], calls[0]["answer"]
    print(f"\nlargest accepted image {len(largest):,} B: event {len(event):,} B, answer {len(answer):,} B "
          f"(limit {prepare_function.MAX_PAYLOAD_BYTES:,} B each)")
    assert len(event) < 1024 and len(answer) < 64 * 1024
    assert len(calls) == 1


def test_the_app_registers_the_function(client, aws):
    """`photo_prepare` is a function of the app (what `chalice package` deploys), with this body."""
    key = "prepare/" + "0" * 32
    version = aws.photos.put(key, PHONE_PHOTO.read_bytes(), content_type="application/octet-stream")
    answer = client.lambda_.invoke("photo_prepare", {"key": key, "version_id": version}).payload
    assert base64.b64decode(answer["image"])[:2] == b"\xff\xd8"
    assert answer["report"]["checks"] and _staged(aws) == []


def test_the_function_reads_nothing_outside_its_staging_prefix(aws):
    with pytest.raises(prepare_function.PrepareFailed):
        prepare_function.lambda_handler({"key": "photos/110000000001.jpg"}, None)

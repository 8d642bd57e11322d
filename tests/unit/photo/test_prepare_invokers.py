"""The API's side of the `photo_prepare` function without a bucket: the Lambda invoker's
request and its failure modes (botocore's Stubber), the local invoker's payload limits, the
answer's shape, and `import app` plus a remote auto-fix loading no face stack."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib.errors import AppError
from chalicelib.photo import prepare_function as remote
from chalicelib.photo.checks import Check, PhotoResult

ROOT = Path(__file__).resolve().parents[3]
EVENT = {"key": "prepare/" + "a" * 32, "version_id": "v1"}
REPORT = PhotoResult("rejected", [Check("format", True, "照片已读取"), Check("dpi", False, "未检查", ran=False)],
                     None, "dlib", "未检测到人脸")


def _lambda() -> Any:
    return boto3.session.Session().client("lambda", region_name="cn-north-1", aws_access_key_id="x",
                                          aws_secret_access_key="x")


def _body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_the_report_survives_the_json_boundary():
    again = PhotoResult.from_dict(json.loads(json.dumps(REPORT.to_dict())))
    assert again == REPORT and [c.state for c in again.checks] == ["passed", "not_checked"]


def test_lambda_invoker_sends_the_event_synchronously_and_reads_the_answer():
    client = _lambda()
    answer = {"image": "", "report": REPORT.to_dict()}
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 200, "Payload": _body(json.dumps(answer).encode())},
                          {"FunctionName": "cpa-ecert-prod-cn-photo_prepare", "InvocationType": "RequestResponse",
                           "Payload": json.dumps(EVENT).encode()})
        got = remote.LambdaInvoker(client, "cpa-ecert-prod-cn-photo_prepare")(EVENT)
    assert remote.read_answer(got) == (b"", REPORT)


def test_an_app_error_from_the_function_is_raised_again_unchanged():
    err = AppError("照片处理过于频繁,请60秒后再试", code="PREPARE_RATE_LIMITED", status=429,
                   headers={"Retry-After": "60"}, retry_after=60)
    answer = json.loads(json.dumps({"error": remote.error_to_dict(err)}))
    with pytest.raises(AppError) as raised:
        remote.read_answer(answer)
    again = raised.value
    assert (again.status, again.body(), again.headers) == (429, err.body(), {"Retry-After": "60"})


@pytest.mark.parametrize("failure", ["function-error", "throttled", "timeout", "not-json"])
def test_a_function_that_fails_or_cannot_be_reached_is_a_chinese_503(failure, caplog):
    client = _lambda()
    if failure == "timeout":
        class _Slow:
            def invoke(self, **kwargs: Any) -> Any:
                raise ReadTimeoutError(endpoint_url="https://lambda.cn-north-1.amazonaws.com.cn")

        invoker = remote.LambdaInvoker(_Slow(), "fn")
        with pytest.raises(remote.PrepareUnavailable) as raised:
            invoker(EVENT)
    else:
        with Stubber(client) as stub:
            if failure == "function-error":
                stub.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled",
                                             "Payload": _body(b'{"errorMessage": "Task timed out"}')})
            elif failure == "not-json":
                stub.add_response("invoke", {"StatusCode": 200, "Payload": _body(b"null")})
            else:
                stub.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
            with pytest.raises(remote.PrepareUnavailable) as raised:
                remote.LambdaInvoker(client, "fn")(EVENT)
    assert raised.value.status == 503 and raised.value.body() == {
        "code": "PHOTO_PREPARE_UNAVAILABLE", "message": "照片自动处理服务暂时不可用,请稍后再试"}
    assert "photo prepare" in caplog.text


def test_the_local_invoker_holds_both_directions_to_lambdas_limit():
    big = "x" * remote.MAX_PAYLOAD_BYTES
    echo = remote.LocalInvoker(lambda event, context: {"echo": event})
    assert echo({"key": "k"}) == {"echo": {"key": "k"}}
    with pytest.raises(remote.PrepareUnavailable):
        echo({"image": big})  # a request Lambda would refuse
    with pytest.raises(remote.PrepareUnavailable):
        remote.LocalInvoker(lambda event, context: {"image": big})({"key": "k"})  # an answer it would drop


def test_the_local_invoker_passes_only_what_json_carries():
    seen: list[Any] = []
    remote.LocalInvoker(lambda event, context: seen.append(event) or {})({"key": "k", "version_id": None})
    assert seen == [{"key": "k", "version_id": None}]
    with pytest.raises(TypeError):  # bytes would not reach a real function either
        remote.LocalInvoker(lambda event, context: {})({"image": b"\xff\xd8"})


_PROBE = r"""
import io, json, sys
import app
from botocore.response import StreamingBody
from botocore.stub import Stubber
from chalicelib import aws
from chalicelib.bootstrap import Deps
from chalicelib.config import get_settings
from chalicelib.photo import service
from chalicelib.photo.checks import Check, PhotoResult

class Store:
    def put(self, key, body, content_type="", metadata=None):
        return "v1"
    def delete(self, key, version_id=None):
        raise AssertionError("the function deletes what it read")

report = PhotoResult("accepted", [Check("format", True, "ok")], None, "dlib", "ok")
answer = json.dumps({"image": "/9j/", "report": report.to_dict()}).encode()
d = Deps(get_settings())
d.__dict__["photos"] = Store()
stub = Stubber(aws.invoke_client(d.settings.region))
stub.add_response("invoke", {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(answer), len(answer))})
with stub:
    body = service.prepare(d, b"\xff\xd8 a phone photo")
assert body["image"] == "data:image/jpeg;base64,/9j/", body
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_api_runs_the_auto_fix_remotely_without_the_face_stack():
    """What the API function needs when a stage names `photo_prepare`: no dlib, no numpy (the
    face layer is not attached to it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(PYTHONPATH=str(ROOT), PHOTO_PREPARE_FUNCTION="cpa-ecert-prod-cn-photo_prepare",
               AWS_REGION="cn-north-1", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
    env.pop("AWS_ENDPOINT_URL", None)
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert "PIL" in loaded  # the probe did run the photo service
    assert loaded.isdisjoint({"dlib", "numpy", "face_recognition_models"}), sorted(loaded & {"dlib", "numpy"})

"""The hand-written policies against what the code really calls.

Chalice's policy generator cannot see calls made from chalicelib/ or PynamoDB (STYLE 12), so a
policy can silently miss an action. Here the real flows run against moto (sign-in, the member's
and staff's pages, an upload through the photo-check handler, a review, logout) while every AWS
API call is recorded per function; each call, turned into its IAM action and resource ARN with
the prod names, must be allowed by that function's prod policy file. A new call that the policy
does not grant fails here, not in production.
"""

from __future__ import annotations

import fnmatch
import json
from contextlib import contextmanager
from typing import Any, Iterator

import botocore.client
import pytest
import requests

from tests.conftest import FACES
from tests.deploy.conftest import load_policy, policy_file

ACCOUNT, REGION = "123456789012", "us-east-1"
PHOTO_BUCKET = f"cpa-ecert-prod-photos-{ACCOUNT}"


class Recorder:
    def __init__(self) -> None:
        self.function: str | None = None
        self.calls: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}

    @contextmanager
    def as_function(self, name: str) -> Iterator[None]:
        previous, self.function = self.function, name
        try:
            yield
        finally:
            self.function = previous

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        if self.function:
            self.calls.setdefault(self.function, []).append((service, operation, params))


@pytest.fixture()
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    original = botocore.client.BaseClient._make_api_call

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        rec.record(self.meta.service_model.service_name, operation_name, api_params)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", _make_api_call)
    return rec


def _prod_table(name: str) -> str:
    assert name.startswith("test-"), name  # tests/conftest.py: resource_names("test")
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/cpa-ecert-prod-{name[len('test-'):]}"


def _requirements(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs that one API call needs."""
    if service == "dynamodb":
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{operation}", _prod_table(t)) for t in params["RequestItems"]]
        if operation == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[k]}", _prod_table(v["TableName"]))
                    for item in params["TransactItems"] for k, v in item.items()]
        if operation == "TransactGetItems":
            return [("dynamodb:GetItem", _prod_table(i["Get"]["TableName"])) for i in params["TransactItems"]]
        arn = _prod_table(params["TableName"])
        if params.get("IndexName"):
            arn += f"/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", arn)]
    if service == "s3":
        assert params["Bucket"] == "test-photos", params["Bucket"]
        obj = f"arn:aws:s3:::{PHOTO_BUCKET}/{params.get('Key', '')}"
        if operation in ("GetObject", "HeadObject"):
            return [("s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject", obj)]
        if operation in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
            return [("s3:ListBucket", f"arn:aws:s3:::{PHOTO_BUCKET}")]
        return [(f"s3:{operation}", obj)]
    if service == "ses":
        domain = params["Source"].rsplit("@", 1)[1]
        return [(f"ses:{operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}")]
    if service == "sqs":
        return [(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:cpa-ecert-prod-photo-checks")]
    if service == "ssm":
        return [("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{params['Name']}")]
    return [(f"{service}:{operation}", "*")]


def _allowed(policy: dict[str, Any], action: str, arn: str) -> bool:
    for st in policy["Statement"]:
        if st["Effect"] != "Allow":
            continue
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
        if any(fnmatch.fnmatchcase(action, a) for a in actions) and \
                any(fnmatch.fnmatchcase(arn, r) for r in resources):
            return True
    return False


def _denied_calls(chalice_config: dict[str, Any], function: str, calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    policy = load_policy(policy_file(chalice_config, "prod", function))
    missing = set()
    for service, operation, params in calls:
        for action, arn in _requirements(service, operation, params):
            if not _allowed(policy, action, arn):
                missing.add(f"{action} on {arn}")
    return sorted(missing)


def _json(client: Any, method: str, path: str, who: Any = None, body: Any = None) -> Any:
    headers = dict(who.headers) if who else {"Content-Type": "application/json"}
    return getattr(client.http, method)(path, headers=headers, body=json.dumps(body) if body is not None else None)


def test_policies_grant_every_call_the_flows_make(client, aws, persona, make_member, recorder, chalice_config):
    from chalicelib.auth import authorizer, captcha
    from chalicelib.photo.service import CONSENT_TEXT_VERSION

    photo = (FACES / "spec_white" / "obama_01.jpg").read_bytes()
    member = make_member("110000")
    aws.photos.put(f"reference/{member.member_no}.jpg", (FACES / "spec_white" / "obama_02.jpg").read_bytes())
    member.refresh()
    member.reference_key = f"reference/{member.member_no}.jpg"
    member.save()
    me = persona("member", "110000", member_no=member.member_no)
    staff = persona("association_staff", "110000")
    solved = captcha.create(_settings())

    with recorder.as_function("token_authorizer"):
        # the Lambda event API Gateway sends to a TOKEN authorizer
        result = authorizer.token_authorizer({
            "type": "TOKEN", "authorizationToken": f"Bearer {me.token}",
            "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/api/GET/me"}, None)
        statements = result["policyDocument"]["Statement"]
        assert statements and statements[0]["Effect"] == "Allow"  # a live token: the real calls ran

    with recorder.as_function("api_handler"):
        r = _json(client, "post", "/auth/login", body={"user_type": "member", "username": member.member_no,
                                                      "password": "Demo#2026", "captcha_id": solved[0],
                                                      "captcha_code": solved[1]})
        assert r.status_code == 200, r.body
        assert _json(client, "get", "/auth/captcha").status_code == 200
        assert _json(client, "get", "/me", me).status_code == 200
        _json(client, "patch", "/me", me, {"address": "北京市东城区示例路1号"})
        assert _json(client, "post", "/me/photo/consent", me, {"text_version": CONSENT_TEXT_VERSION}).status_code == 200
        post = _json(client, "post", "/me/photo/uploads", me).json_body
        _json(client, "get", "/me/certificate", me)
        assert _json(client, "get", "/members", staff).status_code == 200
        assert _json(client, "get", f"/members/{member.member_no}", staff).status_code == 200
        _json(client, "get", f"/members/{member.member_no}/history", staff)
        _json(client, "get", "/members/count", staff)
        _json(client, "get", "/applications", staff)
        _json(client, "get", "/reviews", staff)
        _json(client, "get", f"/members/{member.member_no}/photo?kind=reference", staff)

    # the browser's presigned POST (signed by the API role: needs s3:PutObject on uploads/)
    assert post["fields"]["key"].startswith("uploads/")
    assert _allowed(load_policy(policy_file(chalice_config, "prod", "api_handler")), "s3:PutObject",
                    f"arn:aws:s3:::{PHOTO_BUCKET}/{post['fields']['key']}")
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("p.jpg", photo, "image/jpeg")})
    assert resp.status_code in (200, 201, 204)

    from chalicelib import aws as aws_clients

    sqs = aws_clients.client("sqs", REGION)
    url = sqs.get_queue_url(QueueName=aws.settings.photo_queue)["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert bodies
    with recorder.as_function("photo_check"):
        for body in bodies:
            client.lambda_.invoke("photo_check", client.events.generate_sqs_event(
                message_bodies=[body], queue_name=aws.settings.photo_queue))

    with recorder.as_function("api_handler"):
        status = _json(client, "get", f"/me/photo/uploads/{post['upload_id']}", me).json_body
        assert status["status"] in ("accepted", "rejected", "review"), status  # the check did run
        _json(client, "get", "/me/photo", me)
        _json(client, "get", "/me/certificate", me)
        _json(client, "post", "/auth/logout", me)

    assert {"token_authorizer", "api_handler", "photo_check"} <= set(recorder.calls)
    assert any(op == "PutObject" for _, op, _ in recorder.calls["photo_check"]) or status["status"] != "accepted"
    for function, calls in recorder.calls.items():
        assert _denied_calls(chalice_config, function, calls) == [], function


def test_the_check_catches_a_missing_grant(chalice_config):
    """The checker itself can fail: the authorizer may not write, the photo check may not mail."""
    assert _denied_calls(chalice_config, "token_authorizer", [
        ("dynamodb", "PutItem", {"TableName": "test-ephemeral"})]) == [
        f"dynamodb:PutItem on arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/cpa-ecert-prod-ephemeral"]
    assert _denied_calls(chalice_config, "photo_check", [
        ("ses", "SendEmail", {"Source": "no-reply@ecert.example.cn"})])
    assert _denied_calls(chalice_config, "api_handler", [
        ("dynamodb", "UpdateItem", {"TableName": "test-audit"})])
    assert _denied_calls(chalice_config, "api_handler", [("dynamodb", "Scan", {"TableName": "test-members"})])


def _settings():  # the settings the app under test was wired with
    from chalicelib.bootstrap import deps

    return deps().settings

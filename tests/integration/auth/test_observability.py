"""Structured logs and EMF metrics as CloudWatch receives them: a direct call of the Lambda
handlers with a Lambda context, stdout parsed line by line."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

import app as app_module
from chalicelib import logs, metrics
from chalicelib.auth import authorizer

REQUEST_ID = "0f6f3c1e-7d3a-4e55-9a0c-6d1b5a2e9c11"


@dataclass
class LambdaContext:
    aws_request_id: str = REQUEST_ID
    function_name: str = "cpa-ecert-prod-cn"
    memory_limit_in_mb: int = 1024

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


def _rest_event(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None, "isBase64Encoded": False,
        "body": json.dumps(body),
        "requestContext": {"resourcePath": path, "httpMethod": method, "requestId": "apigw-1",
                           "identity": {"sourceIp": "203.0.113.7"}},
    }


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_a_route_logs_json_with_the_request_id_and_emits_emf(aws, staff_account, solved, capsys, caplog):
    caplog.set_level(logging.INFO)
    staff_account("bj_staff", email="li.lei@example.com")
    capsys.readouterr()
    event = _rest_event("POST", "/auth/login", {"user_type": "staff", "username": "bj_staff",
                                                "password": "wrong password", **solved()})
    response = app_module.app(event, LambdaContext())
    assert response["statusCode"] == 401
    out = capsys.readouterr().out
    lines = _lines(out)
    [info] = [x for x in lines if x.get("message") == "login failed type=staff"]
    assert info["level"] == "INFO" and info["function_request_id"] == REQUEST_ID
    assert info["service"] == "cpa-ecert" and info["logger"] == "chalicelib.auth.service"
    [emf] = [x for x in lines if "_aws" in x]
    assert emf["_aws"]["CloudWatchMetrics"] == [{
        "Namespace": "cpa-ecert-local", "Dimensions": [["service"]],
        "Metrics": [{"Name": "LoginFailures", "Unit": "Count"}]}]
    assert isinstance(emf["_aws"]["Timestamp"], int) and emf["service"] == "cpa-ecert" and emf["LoginFailures"] == 1
    for personal in ("bj_staff", "li.lei", "203.0.113.7", "wrong password"):
        assert personal not in out
    # outside an invocation, lines carry no stale id
    logging.getLogger("chalicelib.test").warning("after")
    assert _lines(capsys.readouterr().out)[-1]["function_request_id"] == ""


def _authorize(token: str) -> dict[str, Any]:
    return authorizer.token_authorizer({"type": "TOKEN", "authorizationToken": f"Bearer {token}",
                                        "methodArn": "arn:aws-cn:execute-api:cn-north-1:1:a/api/GET/me"},
                                       LambdaContext())


def test_authorizer_tells_an_invalid_token_from_a_check_that_failed(aws, persona, capsys, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    capsys.readouterr()
    denied = _authorize("not-a-token")
    assert denied["principalId"] == "anonymous"
    lines = _lines(capsys.readouterr().out)
    assert [x["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for x in lines if "_aws" in x] == ["AuthorizerTokenInvalid"]
    assert any(x.get("message", "").startswith("authorizer denied") and x["function_request_id"] == REQUEST_ID
               for x in lines)

    staff = persona("association_staff", "110000")
    token = staff.headers["Authorization"].split()[1]
    allowed = _authorize(token)
    assert allowed["principalId"] != "anonymous"
    capsys.readouterr()

    from chalicelib.auth import revocation

    def dynamodb_down(claims: Any, **kwargs: Any) -> bool:
        raise ConnectionError("DynamoDB endpoint unreachable")

    monkeypatch.setattr(revocation, "is_token_live", dynamodb_down)
    assert _authorize(token)["principalId"] == "anonymous"
    lines = _lines(capsys.readouterr().out)
    [emf] = [x for x in lines if "_aws" in x]
    assert emf["_aws"]["CloudWatchMetrics"][0] == {
        "Namespace": "cpa-ecert-local", "Dimensions": [["service"]],
        "Metrics": [{"Name": "AuthorizerCheckFailed", "Unit": "Count"}]}
    [error] = [x for x in lines if x.get("level") == "ERROR"]
    assert "could not check" in error["message"] and error["exception_name"] == "ConnectionError"
    assert "unreachable" not in error["message"] and error["function_request_id"] == REQUEST_ID


def test_emf_line_uses_the_stage_namespace(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "cpa-ecert-prod-cn")
    line = json.loads(metrics.emf_line(metrics.FACE_DISTANCE, 0.364, metrics.NONE, timestamp_ms=1))
    assert line == {"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{
        "Namespace": "cpa-ecert-prod-cn", "Dimensions": [["service"]],
        "Metrics": [{"Name": "FaceComparisonDistance", "Unit": "None"}]}]},
        "service": "cpa-ecert", "FaceComparisonDistance": 0.364}


def test_scrub_masks_personal_data():
    text = "to li.lei@example.com id 11010519491231002X phone 13812345678 member 110000000009"
    assert logs.scrub(text) == "to *** id *** phone *** member 110000000009"


def test_batched_counts_go_out_as_one_line_per_metric(capsys):
    """A bulk chunk's certificates: one EMF line carrying the total, also when the chunk fails."""
    with pytest.raises(RuntimeError):
        with metrics.batched():
            for _ in range(300):
                metrics.count(metrics.CERTIFICATES_ISSUED)
            metrics.count(metrics.LOGIN_FAILURES, 2)
            assert capsys.readouterr().out == ""  # nothing yet
            raise RuntimeError("the chunk failed after issuing")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["_aws"]["CloudWatchMetrics"][0]["Metrics"], x.get("CertificatesIssued"), x.get("LoginFailures"))
            for x in lines] == [([{"Name": "CertificatesIssued", "Unit": "Count"}], 300, None),
                                ([{"Name": "LoginFailures", "Unit": "Count"}], None, 2)]
    metrics.count(metrics.CERTIFICATES_ISSUED)  # outside: a line of its own again
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["CertificatesIssued"] == 1

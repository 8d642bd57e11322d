"""The deploy scripts: record_outputs.py (stack outputs -> stage config), deploy_frontend.py
(site upload with config.js), post_deploy.py (gateway responses and stage settings after
`chalice deploy`). AWS is botocore's Stubber or an in-process moto; nothing leaves the machine."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.deploy.conftest import ROOT

STACK_OUTPUTS = {
    "Stage": "prod",
    "MembersTableName": "cpa-ecert-prod-members",
    "AccountsTableName": "cpa-ecert-prod-accounts",
    "AuditTableName": "cpa-ecert-prod-audit",
    "CountersTableName": "cpa-ecert-prod-counters",
    "EphemeralTableName": "cpa-ecert-prod-ephemeral",
    "ApplicationsTableName": "cpa-ecert-prod-applications",
    "UploadsTableName": "cpa-ecert-prod-uploads",
    "PhotoBucketName": "cpa-ecert-prod-photos-123456789012",
    "PhotoQueueName": "cpa-ecert-prod-photo-checks",
    "SiteURL": "https://d1234abcd.cloudfront.net",
    "SiteBucketName": "cpa-ecert-prod-sitebucket-abc",
    "SiteDistributionId": "E1234567890",
    "TokenKeyParam": "/cpa-ecert/prod/token-key",
    "VerifyKeyParam": "/cpa-ecert/prod/verify-key",
    "SigningKeyPemParam": "/cpa-ecert/prod/signing-key-pem",
    "SigningCertPemParam": "/cpa-ecert/prod/signing-cert-pem",
}


def _describe(outputs: dict[str, str]) -> dict[str, Any]:
    return {"Stacks": [{"StackName": "s", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]}]}


# -- record_outputs.py --------------------------------------------------------------------------

def test_record_outputs_writes_the_stack_names_into_the_stage(record_outputs, chalice_config, tmp_path, monkeypatch):
    chalice_dir = tmp_path / ".chalice"
    chalice_dir.mkdir()
    for f in (ROOT / ".chalice").glob("*.json"):
        (chalice_dir / f.name).write_text(f.read_text())
    cfn = boto3.client("cloudformation", region_name="cn-north-1")
    stub = Stubber(cfn)
    stub.add_response("describe_stacks", _describe(STACK_OUTPUTS), {"StackName": "cpa-ecert-prod-resources"})
    monkeypatch.setattr(boto3, "client", lambda *a, **k: cfn)
    with stub:
        rc = record_outputs.main(["--stage", "prod", "--stack", "cpa-ecert-prod-resources",
                                  "--mail-sender", "no-reply@ecert.example.cn",
                                  "--config", str(chalice_dir / "config.json")])
    assert rc == 0
    written = json.loads((chalice_dir / "config.json").read_text())
    env = written["stages"]["prod"]["environment_variables"]
    assert env["PHOTO_BUCKET"] == "cpa-ecert-prod-photos-123456789012"
    assert env["SITE_URL"] == "https://d1234abcd.cloudfront.net"
    assert env["MAIL_SENDER"] == "no-reply@ecert.example.cn"
    # nothing else moves: the dev stage and the function settings are untouched
    assert written["stages"]["dev"] == chalice_config["stages"]["dev"]
    assert written["stages"]["prod"]["lambda_functions"] == chalice_config["stages"]["prod"]["lambda_functions"]


def test_record_outputs_refuses_another_stages_stack(record_outputs, chalice_config):
    config = copy.deepcopy(chalice_config)
    with pytest.raises(record_outputs.RecordError, match="serves stage prod"):
        record_outputs.apply_outputs(config, "dev", STACK_OUTPUTS)
    assert config == chalice_config


def test_record_outputs_refuses_a_stack_without_the_outputs(record_outputs, chalice_config):
    with pytest.raises(record_outputs.RecordError, match="lacks outputs"):
        record_outputs.apply_outputs(copy.deepcopy(chalice_config), "prod", {"Stage": "prod"})


def test_record_outputs_refuses_names_the_policies_do_not_allow(record_outputs, chalice_config, tmp_path, monkeypatch):
    outputs = {**STACK_OUTPUTS, "PhotoBucketName": "someone-elses-bucket"}
    cfn = boto3.client("cloudformation", region_name="cn-north-1")
    stub = Stubber(cfn)
    stub.add_response("describe_stacks", _describe(outputs), {"StackName": "x"})
    monkeypatch.setattr(boto3, "client", lambda *a, **k: cfn)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(chalice_config))
    for f in (ROOT / ".chalice").glob("policy-*.json"):
        (tmp_path / f.name).write_text(f.read_text())
    with stub:
        rc = record_outputs.main(["--stage", "prod", "--stack", "x", "--config", str(config_path)])
    assert rc == 1
    assert json.loads(config_path.read_text()) == chalice_config


# -- deploy_frontend.py -------------------------------------------------------------------------

API = "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/api/"


def test_frontend_plan_writes_config_js_for_the_api(deploy_frontend):
    uploads = {u.key: u for u in deploy_frontend.plan(ROOT / "frontend", API)}
    config = uploads["config.js"]
    assert config.body.decode() == 'window.APP_CONFIG = {"apiBase": "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/api"};\n'
    assert config.cache_control == "no-cache"
    assert uploads["index.html"].content_type == "text/html; charset=utf-8"
    assert uploads["index.html"].cache_control == "no-cache"
    scripts = [u for k, u in uploads.items() if k.endswith(".js") and k != "config.js"]
    assert scripts and all(u.content_type.startswith("text/javascript") for u in scripts)  # ES modules need it
    local = {p.relative_to(ROOT / "frontend").as_posix() for p in (ROOT / "frontend").rglob("*")
             if p.is_file() and not p.name.startswith(".") and p.name != "config.js"}
    directories = {k.rsplit("/", 1)[0] + "/" for k in local if k.endswith("/index.html")}
    assert set(uploads) == local | {"config.js"} | directories


def test_frontend_directory_urls_work_without_a_cloudfront_function(deploy_frontend):
    """China has no CloudFront Functions: S3 answers /verify/ (the QR target) from a copy of
    verify/index.html stored under the key "verify/"."""
    uploads = {u.key: u for u in deploy_frontend.plan(ROOT / "frontend", API)}
    assert "verify/index.html" in uploads
    copy_ = uploads["verify/"]
    assert copy_.body == uploads["verify/index.html"].body
    assert copy_.content_type.startswith("text/html") and copy_.cache_control == uploads["verify/index.html"].cache_control
    assert "/" not in uploads and "index.html" in uploads  # the root is DefaultRootObject's job


def test_frontend_refuses_a_plain_http_api(deploy_frontend):
    with pytest.raises(deploy_frontend.FrontendError):
        deploy_frontend.plan(ROOT / "frontend", "http://abc123.example/api/")


def test_frontend_publish_uploads_and_prunes(deploy_frontend, tmp_path):
    site = tmp_path / "site"
    (site / "admin").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html>")
    (site / "admin" / "index.html").write_text("<!doctype html>")
    (site / "config.js").write_text("window.APP_CONFIG = {apiBase: 'http://127.0.0.1:8000'};")  # a local leftover
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="site")
        s3.put_object(Bucket="site", Key="old.html", Body=b"gone")
        deleted = deploy_frontend.publish(s3, "site", deploy_frontend.plan(site, API), prune=True)
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"])
        head = s3.head_object(Bucket="site", Key="admin/index.html")
        config = s3.get_object(Bucket="site", Key="config.js")["Body"].read().decode()
    assert deleted == ["old.html"]
    assert keys == ["admin/", "admin/index.html", "config.js", "index.html"]
    assert head["ContentType"] == "text/html; charset=utf-8" and head["CacheControl"] == "no-cache"
    assert "127.0.0.1" not in config and "abc123.execute-api" in config


def test_frontend_finds_the_api_url_chalice_deploy_recorded(deploy_frontend, tmp_path):
    deployed = tmp_path / ".chalice" / "deployed"
    deployed.mkdir(parents=True)
    (deployed / "prod.json").write_text(json.dumps({"resources": [
        {"name": "api_handler", "resource_type": "lambda_function"},
        {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "abc123", "rest_api_url": API}]}))
    assert deploy_frontend.api_url_from_deployed("prod", tmp_path) == API
    assert deploy_frontend.api_url_from_deployed("dev", tmp_path) is None


# -- post_deploy.py -----------------------------------------------------------------------------

def test_post_deploy_gateway_responses_use_the_site_origin(post_deploy, overlay):
    responses = post_deploy.gateway_responses("https://ecert.example.cn/", overlay)
    assert set(responses) >= {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"}
    for spec in responses.values():
        params = spec["responseParameters"]
        assert params["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://ecert.example.cn'"
        assert all(isinstance(v, str) for v in params.values())
        assert json.loads(spec["responseTemplates"]["application/json"])["code"].isupper()
    with pytest.raises(post_deploy.PostDeployError):
        post_deploy.gateway_responses("http://ecert.example.cn", overlay)


def test_post_deploy_applies_responses_redeploys_and_sets_the_stage(post_deploy, overlay):
    apigw = boto3.client("apigateway", region_name="cn-north-1")
    responses = post_deploy.gateway_responses("https://ecert.example.cn", overlay)
    patch = post_deploy.stage_patch(overlay, "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/apigateway/x")
    stub = Stubber(apigw)
    for kind, spec in responses.items():
        expected = {"restApiId": "abc123", "responseType": kind,
                    "responseParameters": spec["responseParameters"], "responseTemplates": spec["responseTemplates"]}
        if spec.get("statusCode"):
            expected["statusCode"] = spec["statusCode"]
        stub.add_response("put_gateway_response", {}, expected)
    stub.add_response("create_deployment", {"id": "d1"},
                      {"restApiId": "abc123", "stageName": "api", "description": "scripts/post_deploy.py: gateway responses"})
    stub.add_response("update_stage", {}, {"restApiId": "abc123", "stageName": "api", "patchOperations": patch})
    with stub:
        post_deploy.apply(apigw, "abc123", "api", responses, patch)
        stub.assert_no_pending_responses()
    paths = {op["path"]: op["value"] for op in patch}
    assert paths["/*/*/throttling/rateLimit"] == "200"
    assert json.loads(paths["/accessLogSettings/format"])["principal"] == "$context.authorizer.principalId"


def test_post_deploy_gives_way_b_the_function_settings_of_way_a(post_deploy, overlay, chalice_config):
    """JSON logs on every function and the SQS sources' concurrency caps come from the overlay,
    so both ways of deploying end with the same functions; the API gets the name the 5xx alarm
    watches."""
    logging_config, caps = post_deploy.function_settings(overlay)
    assert logging_config["LogFormat"] == "JSON" and caps == {"photo_check": 5, "job_worker": 20}
    lam = boto3.client("lambda", region_name="cn-north-1")
    stub = Stubber(lam)
    names = post_deploy.function_names("prod-cn")
    assert set(names) == {"cpa-ecert-prod-cn" if fn == "api_handler" else f"cpa-ecert-prod-cn-{fn}"
                          for fn in chalice_config["stages"]["prod-cn"]["lambda_functions"]}
    for name in names:
        stub.add_response("update_function_configuration", {}, {"FunctionName": name, "LoggingConfig": logging_config})
    for suffix, cap, uuid in (("photo_check", 5, "8c3a5e0c-2f4b-4d7a-9a61-3e2b1c0d9f10"),
                              ("job_worker", 20, "1f0e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")):
        stub.add_response("list_event_source_mappings", {"EventSourceMappings": [{"UUID": uuid}]},
                          {"FunctionName": f"cpa-ecert-prod-cn-{suffix}"})
        stub.add_response("update_event_source_mapping", {}, {"UUID": uuid, "ScalingConfig": {"MaximumConcurrency": cap}})
    with stub:
        post_deploy.apply_functions(lam, "prod-cn", logging_config, caps)
        stub.assert_no_pending_responses()
    apigw = boto3.client("apigateway", region_name="cn-north-1")
    stub = Stubber(apigw)
    stub.add_response("update_rest_api", {}, {"restApiId": "abc123", "patchOperations": [
        {"op": "replace", "path": "/name", "value": "cpa-ecert-prod-cn"}]})
    with stub:
        post_deploy.rename_api(apigw, "abc123", "prod-cn")
        stub.assert_no_pending_responses()


def test_post_deploy_refuses_a_photo_check_without_its_queue(post_deploy):
    lam = boto3.client("lambda", region_name="cn-north-1")
    stub = Stubber(lam)
    for _ in post_deploy.function_names("prod"):
        stub.add_response("update_function_configuration", {})
    stub.add_response("list_event_source_mappings", {"EventSourceMappings": []})
    with stub, pytest.raises(post_deploy.PostDeployError, match="photo_check has no SQS event source"):
        post_deploy.apply_functions(lam, "prod", {"LogFormat": "JSON"}, {"photo_check": 5})


def test_post_deploy_needs_a_chalice_deploy_first(post_deploy, tmp_path):
    with pytest.raises(post_deploy.PostDeployError, match="chalice deploy"):
        post_deploy.rest_api_id("prod", tmp_path)


def test_build_stack_check_detects_a_stale_file(build_stack, monkeypatch, tmp_path: Path):
    stale = tmp_path / "stack.json"
    stale.write_text("{}")
    monkeypatch.setattr(build_stack, "STACK", stale)
    assert build_stack.main(["--check"]) == 1
    assert build_stack.main([]) == 0
    assert build_stack.main(["--check"]) == 0

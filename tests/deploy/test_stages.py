"""The stages in .chalice/config.json: complete settings, the cloud face engine, function sizes,
and no captcha bypass anywhere in the deployed configuration (DESIGN section 7)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.config import FaceSettings
from tests.deploy.conftest import FUNCTIONS, PARTITION, ROOT, STAGES, function_env, function_setting

BYPASS = "CAPTCHA_TEST_CODE"


def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [(f"{path}/{k}", v) for k, v in node.items()] + [
            item for k, v in node.items() for item in _walk(v, f"{path}/{k}")]
    if isinstance(node, list):
        return [item for i, v in enumerate(node) for item in _walk(v, f"{path}[{i}]")]
    return []


def test_config_defines_the_deployed_stages_only(chalice_config):
    assert set(chalice_config["stages"]) == set(STAGES)


def test_no_stage_sets_the_captcha_bypass(chalice_config):
    for stage in STAGES:
        for fn in FUNCTIONS:
            assert BYPASS not in function_env(chalice_config, stage, fn)
    keys = [path for path, _ in _walk(chalice_config)]
    assert not [k for k in keys if BYPASS in k]


@pytest.mark.parametrize("folder", [".chalice", "infra"])
def test_nothing_deployable_mentions_the_captcha_bypass(folder):
    hits = [p for p in (ROOT / folder).rglob("*") if p.is_file() and "deployments" not in p.parts
            and "deployed" not in p.parts and BYPASS.encode() in p.read_bytes()]
    assert hits == []


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_uses_the_face_engine_of_its_partition_with_valid_bands(chalice_config, stage):
    """Rekognition where it exists; in the China regions (no Rekognition) dlib inside Lambda."""
    for fn in FUNCTIONS:
        env = function_env(chalice_config, stage, fn)
        face = FaceSettings.from_env(env)
        assert face.engine == ("dlib" if PARTITION[stage] == "aws-cn" else "rekognition")
        assert 0 < face.rekognition_review_min_similarity < face.rekognition_accept_min_similarity <= 100
        assert 0 < face.dlib_accept_max_distance < face.dlib_review_max_distance < 1
        assert int(env["TOKEN_TTL_SECONDS"]) <= 3600


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_mails_through_what_its_partition_has(chalice_config, stage):
    """SES where it exists; in the China regions an SMTP account whose credentials are in SSM."""
    env = function_env(chalice_config, stage, "api_handler")
    if PARTITION[stage] == "aws-cn":
        assert env["MAIL_ADAPTER"] == "smtp"
        assert env["SMTP_HOST"] and int(env["SMTP_PORT"]) in (465, 587)  # AWS blocks port 25
        assert env["SMTP_SECRET_PARAM"] == f"/cpa-ecert/{stage}/smtp-credentials"
    else:
        assert env["MAIL_ADAPTER"] == "ses"
        assert not [k for k in env if k.startswith("SMTP_")]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_names_its_metrics_and_traces(chalice_config, stage):
    env = function_env(chalice_config, stage, "api_handler")
    assert env["POWERTOOLS_SERVICE_NAME"] == "cpa-ecert"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == f"cpa-ecert-{stage}"
    assert chalice_config["xray"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_names_its_own_resources(chalice_config, stage):
    env = function_env(chalice_config, stage, "api_handler")
    for var in ("MEMBERS_TABLE", "ACCOUNTS_TABLE", "AUDIT_TABLE", "COUNTERS_TABLE", "EPHEMERAL_TABLE",
                "APPLICATIONS_TABLE", "UPLOADS_TABLE", "PHOTO_BUCKET", "PHOTO_QUEUE"):
        assert env[var].startswith(f"cpa-ecert-{stage}-"), var
    for var in ("TOKEN_KEY_PARAM", "VERIFY_KEY_PARAM", "SIGNING_KEY_PEM_PARAM", "SIGNING_CERT_PEM_PARAM"):
        assert env[var].startswith(f"/cpa-ecert/{stage}/"), var
    assert env["SITE_URL"].startswith("https://")
    # secrets are never written into the config, only the names of their parameters
    for var in ("TOKEN_KEY", "VERIFY_KEY", "SIGNING_KEY_PEM", "SIGNING_CERT_PEM"):
        assert var not in env


@pytest.mark.parametrize("stage", STAGES)
def test_function_sizes(chalice_config, stage):
    def setting(fn: str, key: str) -> int:
        return int(function_setting(chalice_config, stage, fn, key))

    # API Gateway stops waiting after 29 s; a longer API timeout only burns money
    assert setting("api_handler", "lambda_timeout") <= 30
    assert setting("photo_check", "lambda_memory_size") > setting("api_handler", "lambda_memory_size")
    assert setting("photo_check", "lambda_timeout") >= 60
    assert setting("token_authorizer", "lambda_timeout") <= 10
    # the API waits for the photo auto-fix synchronously: it must answer (or time out) within the
    # API's own time, and the API's read timeout must outlast it (one attempt, no retry)
    from chalicelib import aws

    read_timeout = aws.invoke_client("us-east-1").meta.config.read_timeout
    assert setting("photo_prepare", "lambda_timeout") < read_timeout < setting("api_handler", "lambda_timeout")
    assert setting("photo_prepare", "lambda_memory_size") >= setting("photo_check", "lambda_memory_size")
    assert chalice_config.get("automatic_layer") is True
    assert chalice_config["stages"][stage].get("api_gateway_stage", chalice_config.get("api_gateway_stage")) == "api"


def test_functions_without_a_secret_get_a_placeholder_not_a_value(chalice_config):
    """The placeholders keep Settings from fetching secrets the role may not read; they must
    never look like a key somebody could rely on."""
    for stage in STAGES:
        for fn in ("photo_check", "photo_prepare", "token_authorizer"):
            fn_env = chalice_config["stages"][stage]["lambda_functions"][fn]["environment_variables"]
            assert set(fn_env.values()) == {"not-available-to-this-function"}
        assert "environment_variables" not in chalice_config["stages"][stage]["lambda_functions"]["api_handler"]


def test_deployed_state_is_not_committed():
    ignored = (ROOT / ".gitignore").read_text()
    assert ".chalice/deployments/" in ignored and ".chalice/deployed/" in ignored

"""The hand-written IAM policies (.chalice/policy-*.json): they parse, grant no wildcard actions
on the data services, keep every function to what it uses, and are the same for every stage."""

from __future__ import annotations

import json
from typing import Any, Iterator

import boto3
import pytest

from chalicelib.config import Settings
from tests.deploy.conftest import CHALICE_DIR, FUNCTIONS, PARTITION, STAGES, function_env, load_policy, policy_file

DATA_SERVICES = ("dynamodb", "s3", "sqs", "ses", "ssm", "kms")


def _allows(policy: dict[str, Any]) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
    for st in policy["Statement"]:
        if st["Effect"] == "Allow":
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
            for action in actions:
                yield action, resources, st


def _granted(policy: dict[str, Any]) -> dict[str, set[str]]:
    """Action -> resources, with the partition written as `aws` (China regions use `aws-cn`)."""
    out: dict[str, set[str]] = {}
    for action, resources, _ in _allows(policy):
        out.setdefault(action, set()).update(r.replace("arn:aws-cn:", "arn:aws:") for r in resources)
    return out


def _all_policy_files() -> list[str]:
    return sorted(p.name for p in CHALICE_DIR.glob("policy-*.json"))


def test_each_stage_has_its_policy_file_and_every_referenced_file_exists(chalice_config):
    assert chalice_config["autogen_policy"] is False
    for stage in STAGES:
        assert (CHALICE_DIR / f"policy-{stage}.json").exists()
        for fn in FUNCTIONS:
            assert (CHALICE_DIR / policy_file(chalice_config, stage, fn)).exists()
    # each function has a role of its own (Chalice makes one per function when autogen is off)
    for stage in STAGES:
        assert len({policy_file(chalice_config, stage, fn) for fn in FUNCTIONS}) == len(FUNCTIONS)


@pytest.mark.parametrize("name", _all_policy_files())
def test_policy_parses_and_grants_no_wildcard_actions(name):
    policy = load_policy(name)
    assert policy["Version"] == "2012-10-17"
    for st in policy["Statement"]:
        assert st["Effect"] in ("Allow", "Deny")
        assert "NotAction" not in st and "NotResource" not in st
    for action, resources, _ in _allows(policy):
        service, _, verb = action.partition(":")
        assert action != "*" and "*" not in verb, f"{name}: wildcard action {action}"
        if service in DATA_SERVICES:
            assert "*" not in resources, f"{name}: {action} on every resource"


@pytest.mark.parametrize("name", _all_policy_files())
def test_data_actions_are_limited_to_the_own_account(name):
    """Resources are named by pattern (account and region are not known to a static file), so
    an explicit Deny keeps every data action to resources of the function's own account."""
    policy = load_policy(name)
    guard = [st for st in policy["Statement"] if st["Effect"] == "Deny"
             and st.get("Condition") == {"StringNotEqualsIfExists": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}]
    if not any(action.split(":")[0] in DATA_SERVICES for action, _, _ in _allows(policy)):
        assert guard == []  # nothing to guard (an empty Deny would not be valid IAM)
        return
    assert len(guard) == 1
    denied = set(guard[0]["Action"])
    for action, _, _ in _allows(policy):
        if action.split(":")[0] in DATA_SERVICES:
            assert action in denied, f"{name}: {action} is not kept to the own account"


def test_committed_policies_are_the_generated_ones(policies):
    """The files are rendered by infra/policies.py from one template: no stage is hand-copied."""
    config = json.loads((CHALICE_DIR / "config.json").read_text(encoding="utf-8"))
    files = policies.render_all(config)
    assert sorted(files) == _all_policy_files()
    for name, text in files.items():
        assert (CHALICE_DIR / name).read_text(encoding="utf-8") == text, f"{name}: run python infra/policies.py"
    assert policies.main(["--check"]) == 0


def test_the_policy_check_notices_a_hand_edit(policies, monkeypatch, tmp_path):
    chalice_dir = tmp_path / ".chalice"
    chalice_dir.mkdir()
    for f in CHALICE_DIR.glob("*.json"):
        (chalice_dir / f.name).write_text(f.read_text())
    monkeypatch.setattr(policies, "CHALICE_DIR", chalice_dir)
    monkeypatch.setattr(policies, "CONFIG", chalice_dir / "config.json")
    edited = chalice_dir / "policy-prod-cn.json"
    edited.write_text(edited.read_text().replace("arn:aws-cn:", "arn:aws:"))
    assert policies.main(["--check"]) == 1
    assert policies.main([]) == 0 and policies.main(["--check"]) == 0
    assert "arn:aws:" not in edited.read_text()


def _arns(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [a for v in node.values() for a in _arns(v)]
    if isinstance(node, list):
        return [a for v in node for a in _arns(v)]
    return [node] if isinstance(node, str) and node.startswith("arn:") else []


@pytest.mark.parametrize("stage", STAGES)
def test_the_photo_auto_fix_runs_in_its_own_function_which_reaches_only_its_staging_prefix(chalice_config, stage):
    """The API invokes `photo_prepare` (which alone, with the photo check, carries the face layer
    in prod-cn) and hands the image over under prepare/ in the photo bucket: the function's role
    reads and deletes staged objects and nothing else; the API may invoke that one function."""
    assert function_env(chalice_config, stage, "api_handler")["PHOTO_PREPARE_FUNCTION"] == \
        f"cpa-ecert-{stage}-photo_prepare"
    prepare = _granted(load_policy(policy_file(chalice_config, stage, "photo_prepare")))
    staging = {f"arn:aws:s3:::cpa-ecert-{stage}-photos-*/prepare/*"}
    data = {a: r for a, r in prepare.items() if not a.startswith(("logs:", "xray:", "rekognition:"))}
    assert data == {a: staging for a in ("s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject",
                                          "s3:DeleteObjectVersion")}
    assert set(prepare.get("rekognition:DetectFaces", set())) == (
        {"*"} if function_env(chalice_config, stage, "photo_prepare")["FACE_ENGINE"] == "rekognition" else set())
    api = _granted(load_policy(policy_file(chalice_config, stage, "api_handler")))
    assert api["lambda:InvokeFunction"] == {f"arn:aws:lambda:*:*:function:cpa-ecert-{stage}-photo_prepare"}
    assert staging <= api["s3:PutObject"] and api["s3:DeleteObjectVersion"] == staging
    assert not [a for a in api if a.startswith("rekognition:")]  # faces are the functions' business
    for fn in ("photo_check", "token_authorizer", "job_worker"):
        assert "lambda:InvokeFunction" not in _granted(load_policy(policy_file(chalice_config, stage, fn)))


def test_without_the_function_the_api_keeps_the_auto_fix_and_its_grants(policies, chalice_config):
    """A stage that does not configure `photo_prepare` runs the auto-fix in the API: no invoke
    grant, no staging prefix, and Rekognition's DetectFaces where that is the engine."""
    config = json.loads(json.dumps(chalice_config))
    for stage in ("prod", "prod-cn"):
        del config["stages"][stage]["lambda_functions"]["photo_prepare"]
        with pytest.raises(ValueError, match="PHOTO_PREPARE_FUNCTION"):  # the API would still invoke it
            policies.render_stage(config, stage)
        del config["stages"][stage]["environment_variables"]["PHOTO_PREPARE_FUNCTION"]
        files = policies.render_stage(config, stage)
        assert f"policy-{stage}-photo-prepare.json" not in files
        api = _granted(json.loads(files[f"policy-{stage}.json"]))
        assert "lambda:InvokeFunction" not in api and not [r for r in api["s3:PutObject"] if "/prepare/" in r]
        assert ("rekognition:DetectFaces" in api) == (stage == "prod")
        assert f"arn:{PARTITION[stage]}:" in files[f"policy-{stage}.json"]


@pytest.mark.parametrize("stage", STAGES)
def test_every_arn_is_in_the_stages_partition(chalice_config, stage):
    """IAM in the China regions refuses `arn:aws:`; the standard regions refuse `arn:aws-cn:`."""
    for fn in FUNCTIONS:
        policy = load_policy(policy_file(chalice_config, stage, fn))
        arns = _arns(policy)
        assert arns and all(a.startswith(f"arn:{PARTITION[stage]}:") for a in arns), (fn, arns)
        # KMS sees SSM calls through the partition's endpoint names (amazonaws.com.cn in China)
        suffix = "amazonaws.com.cn" if PARTITION[stage] == "aws-cn" else "amazonaws.com"
        via = [st["Condition"]["StringLike"]["kms:ViaService"] for st in policy["Statement"]
               if "kms:ViaService" in json.dumps(st.get("Condition", {}))]
        assert all(v == f"ssm.*.{suffix}" for v in via), via


def test_the_china_stage_calls_no_rekognition_or_ses_and_reads_the_smtp_secret(chalice_config):
    for fn in FUNCTIONS:
        actions = set(_granted(load_policy(policy_file(chalice_config, "prod-cn", fn))))
        assert not [a for a in actions if a.startswith(("rekognition:", "ses:", "sesv2:"))], fn
    api = _granted(load_policy(policy_file(chalice_config, "prod-cn", "api_handler")))
    env = function_env(chalice_config, "prod-cn", "api_handler")
    assert env["MAIL_ADAPTER"] == "smtp" and env["FACE_ENGINE"] == "dlib"
    assert f"arn:aws:ssm:*:*:parameter{env['SMTP_SECRET_PARAM']}" in api["ssm:GetParameter"]
    for stage in ("dev", "prod"):  # SES stages do not read an SMTP secret
        granted = _granted(load_policy(policy_file(chalice_config, stage, "api_handler")))
        assert not [r for r in granted["ssm:GetParameter"] if "smtp" in r]


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_may_write_traces(chalice_config, stage):
    assert chalice_config["xray"] is True  # active tracing, functions and API stage
    for fn in FUNCTIONS:
        granted = _granted(load_policy(policy_file(chalice_config, stage, fn)))
        assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= set(granted), fn


def test_the_authorizer_only_reads_token_state(chalice_config):
    granted = _granted(load_policy(policy_file(chalice_config, "prod", "token_authorizer")))
    data = {a: r for a, r in granted.items() if not a.startswith(("logs:", "xray:"))}
    assert data == {
        "dynamodb:GetItem": {"arn:aws:dynamodb:*:*:table/cpa-ecert-prod-accounts",
                             "arn:aws:dynamodb:*:*:table/cpa-ecert-prod-ephemeral"},
        "ssm:GetParameter": {"arn:aws:ssm:*:*:parameter/cpa-ecert/prod/token-key"},
        "kms:Decrypt": {"arn:aws:kms:*:*:key/*"},
    }


def test_only_the_photo_check_reads_the_queue_and_compares_faces(chalice_config):
    api = _granted(load_policy(policy_file(chalice_config, "prod", "api_handler")))
    photo = _granted(load_policy(policy_file(chalice_config, "prod", "photo_check")))
    # the API only queues jobs (export, bulk certificates); it never reads a queue
    assert {a for a in api if a.startswith("sqs:")} == {"sqs:SendMessage", "sqs:GetQueueUrl"}
    assert all(r.endswith(":cpa-ecert-prod-jobs") for a in ("sqs:SendMessage", "sqs:GetQueueUrl") for r in api[a])
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(photo)
    assert "rekognition:CompareFaces" in photo and "rekognition:CompareFaces" not in api
    assert "rekognition:DetectFaces" not in api  # the auto-fix detects faces in photo_prepare
    assert not any(a.startswith(("ssm:", "ses:", "kms:")) for a in photo)
    # the photo check writes certificate photos only; the API also takes uploads and caches PDFs
    assert photo["s3:PutObject"] == {"arn:aws:s3:::cpa-ecert-prod-photos-*/photos/*"}
    assert "arn:aws:s3:::cpa-ecert-prod-photos-*/reference/*" not in api["s3:PutObject"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_audit_log_is_append_only(chalice_config, function):
    granted = _granted(load_policy(policy_file(chalice_config, "prod", function)))
    audit = "arn:aws:dynamodb:*:*:table/cpa-ecert-prod-audit"
    for action, resources in granted.items():
        if audit in resources:
            assert action not in ("dynamodb:UpdateItem", "dynamodb:DeleteItem"), action


class _OnlySsm:
    """Stands in for boto3's SSM client: answers only the parameters the policy grants."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed
        self.read: list[str] = []

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:  # noqa: N803
        if f"arn:aws:ssm:*:*:parameter{Name}" not in self.allowed:  # partition normalised by _granted
            raise PermissionError(f"AccessDenied: ssm:GetParameter {Name}")
        self.read.append(Name)
        return {"Parameter": {"Value": f"secret-from-{Name}"}}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_starts_with_only_the_secrets_its_policy_grants(chalice_config, monkeypatch, stage, function):
    """Settings read no secret at cold start; each is fetched when first used, so a function
    starts without any secret and reads only those its policy grants (the authorizer the token
    key, the photo check none, the API the rest when it signs, mails or renders)."""
    granted = _granted(load_policy(policy_file(chalice_config, stage, function)))
    ssm = _OnlySsm(granted.get("ssm:GetParameter", set()))
    monkeypatch.setattr(boto3, "client", lambda service, *a, **k: ssm)
    env = {"AWS_REGION": "cn-north-1", **function_env(chalice_config, stage, function)}
    settings = Settings.from_env(env)
    assert settings.face.engine == env["FACE_ENGINE"]
    assert ssm.read == []  # the API starts before the signing certificate is in SSM
    if function == "token_authorizer":
        assert settings.token_key == f"secret-from-/cpa-ecert/{stage}/token-key"
        assert ssm.read == [f"/cpa-ecert/{stage}/token-key"]
    elif function == "api_handler":
        used = [settings.token_key, settings.verify_key, settings.signing_key_pem, settings.signing_cert_pem]
        assert all(v.startswith("secret-from-") for v in used) and len(ssm.read) == 4
        if settings.mail_adapter == "smtp":
            monkeypatch.setattr(ssm, "get_parameter", lambda Name, WithDecryption: (  # noqa: N803
                _OnlySsm.get_parameter(ssm, Name, WithDecryption) and
                {"Parameter": {"Value": '{"username": "u", "password": "p"}'}}))
            assert settings.smtp_credentials() == ("u", "p")
            assert ssm.read[-1] == env["SMTP_SECRET_PARAM"]
    assert ssm.read == sorted(set(ssm.read), key=ssm.read.index)  # each secret read once


def test_policy_files_are_compact_json(chalice_config):
    """Chalice embeds each file in the role; IAM caps an inline role policy at 10,240 chars."""
    for name in _all_policy_files():
        assert len(json.dumps(load_policy(name), separators=(",", ":"))) < 10240

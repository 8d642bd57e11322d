"""The hand-written IAM policies (.chalice/policy-*.json): they parse, grant no wildcard actions
on the data services, keep every function to what it uses, and are the same for every stage."""

from __future__ import annotations

import json
from typing import Any, Iterator

import boto3
import pytest

from chalicelib.config import Settings
from tests.deploy.conftest import CHALICE_DIR, FUNCTIONS, STAGES, function_env, load_policy, policy_file

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
    assert len(guard) == 1
    denied = set(guard[0]["Action"])
    for action, _, _ in _allows(policy):
        if action.split(":")[0] in DATA_SERVICES:
            assert action in denied, f"{name}: {action} is not kept to the own account"


def test_dev_policies_are_the_prod_policies_with_dev_names():
    for prod in CHALICE_DIR.glob("policy-prod*.json"):
        dev = CHALICE_DIR / prod.name.replace("prod", "dev")
        expected = prod.read_text().replace("cpa-ecert-prod", "cpa-ecert-dev").replace("/cpa-ecert/prod/", "/cpa-ecert/dev/")
        assert dev.read_text() == expected, f"{dev.name} drifted from {prod.name}"


def test_the_authorizer_only_reads_token_state(chalice_config):
    granted = _granted(load_policy(policy_file(chalice_config, "prod", "token_authorizer")))
    data = {a: r for a, r in granted.items() if not a.startswith("logs:")}
    assert data == {
        "dynamodb:GetItem": {"arn:aws:dynamodb:*:*:table/cpa-ecert-prod-accounts",
                             "arn:aws:dynamodb:*:*:table/cpa-ecert-prod-ephemeral"},
        "ssm:GetParameter": {"arn:aws:ssm:*:*:parameter/cpa-ecert/prod/token-key"},
        "kms:Decrypt": {"arn:aws:kms:*:*:key/*"},
    }


def test_only_the_photo_check_reads_the_queue_and_compares_faces(chalice_config):
    api = _granted(load_policy(policy_file(chalice_config, "prod", "api_handler")))
    photo = _granted(load_policy(policy_file(chalice_config, "prod", "photo_check")))
    assert not any(a.startswith("sqs:") for a in api)
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(photo)
    assert "rekognition:CompareFaces" in photo and "rekognition:CompareFaces" not in api
    assert "rekognition:DetectFaces" in api  # /me/photo/prepare and use-reference detect faces
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
        if f"arn:aws:ssm:*:*:parameter{Name}" not in self.allowed:  # partition normalised
            raise PermissionError(f"AccessDenied: ssm:GetParameter {Name}")
        self.read.append(Name)
        return {"Parameter": {"Value": f"secret-from-{Name}"}}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_starts_with_only_the_secrets_its_policy_grants(chalice_config, monkeypatch, stage, function):
    """Settings are read at cold start; a function whose policy does not grant a secret must not
    need it (the authorizer needs the token key only, the photo check no secret at all)."""
    granted = _granted(load_policy(policy_file(chalice_config, stage, function)))
    ssm = _OnlySsm(granted.get("ssm:GetParameter", set()))
    monkeypatch.setattr(boto3, "client", lambda service, *a, **k: ssm)
    env = {"AWS_REGION": "cn-north-1", **function_env(chalice_config, stage, function)}
    settings = Settings.from_env(env)
    assert settings.face.engine == "rekognition"
    if function == "token_authorizer":
        assert ssm.read == [f"/cpa-ecert/{stage}/token-key"]
        assert settings.token_key == f"secret-from-/cpa-ecert/{stage}/token-key"
    elif function == "photo_check":
        assert ssm.read == []
    else:
        assert len(ssm.read) == 4


def test_policy_files_are_compact_json(chalice_config):
    """Chalice embeds each file in the role; IAM caps an inline role policy at 10,240 chars."""
    for name in _all_policy_files():
        assert len(json.dumps(load_policy(name), separators=(",", ":"))) < 10240

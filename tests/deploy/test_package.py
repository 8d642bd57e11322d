"""The documented package step for `prod` (scripts/package.py: `chalice package --stage prod
--merge-template infra/stack.json` from the locked wheels) offline, then checks on what it
wrote: cfn-lint, the SAM transform, the services of the partition, sizes, Lambda-compatible
wheels and shared objects, and the merged wiring.

Runs once per module (about 30 s with warm caches; Chalice keeps the built layer in
.chalice/deployments/ and rebuilds it only when requirements.txt changes, the locked wheels stay
in out/.wheels/). No AWS credentials: the run gets a region and nothing else.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import (
    BIN,
    ROOT,
    function_env,
    function_setting,
    load_policy,
    offline_package_env,
    policy_file,
)
from tests.deploy.packaging import (
    glibc_needs,
    missing_in_partition,
    package_stage,
    policy_services,
    resource_services,
    role_policies,
    sam_translate,
    too_new,
    unzip,
)

MB = 1024 * 1024  # Lambda's limits are in MiB
STAGE = "prod"
# glibc of the Lambda python3.11 runtime (Amazon Linux 2); python3.12+ run on AL2023 (2.34)
RUNTIME_GLIBC = {"python3.10": (2, 26), "python3.11": (2, 26), "python3.12": (2, 34), "python3.13": (2, 34)}
LOGICAL = {"api_handler": "APIHandler", "photo_check": "PhotoCheck", "photo_prepare": "PhotoPrepare",
           "token_authorizer": "TokenAuthorizer"}


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory, chalice_config: dict[str, Any]) -> Path:
    out = tmp_path_factory.mktemp("chalice-package") / "out"
    with offline_package_env(chalice_config, STAGE):
        package_stage(STAGE, out)
    _prune_chalice_cache(ROOT / ".chalice" / "deployments")
    return out


def _prune_chalice_cache(cache: Path, keep: int = 2, min_age_s: float = 3600) -> None:
    """Chalice keeps one app zip per code version (about 6 MB each) and never deletes them."""
    for kind in ("appcode-", "managed-layer-"):
        zips = sorted(cache.glob(f"{kind}*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in zips[keep:]:
            if time.time() - old.stat().st_mtime > min_age_s:
                old.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    return json.loads((packaged / "sam.json").read_text(encoding="utf-8"))


def _unzipped(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return sum(i.file_size for i in z.infolist())


def test_package_writes_template_code_and_layer(packaged):
    assert {p.name for p in packaged.iterdir()} == {"sam.json", "deployment.zip", "layer-deployment.zip"}


def test_merged_template_passes_cfn_lint(packaged):
    run = subprocess.run([str(BIN / "cfn-lint"), str(packaged / "sam.json")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_sam_transform_succeeds_offline_with_one_api_stage(template):
    """aws-sam-translator (pinned) runs the transform CloudFormation would run; with
    OpenApiVersion set SAM makes no extra stage called "Stage" beside "api"."""
    cfn = sam_translate(template, "aws")
    res = cfn["Resources"]
    assert not [k for k, r in res.items() if r["Type"].startswith("AWS::Serverless::")]
    stages = [r["Properties"]["StageName"] for r in res.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stages == ["api"]
    assert not [r for r in res.values() if r["Type"] == "AWS::ApiGateway::Deployment" and "StageName" in r["Properties"]]
    stage = next(r for r in res.values() if r["Type"] == "AWS::ApiGateway::Stage")["Properties"]
    assert stage["TracingEnabled"] is True
    functions = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 6  # api_handler, token_authorizer, photo_check, photo_prepare, job_worker, job_dead_letters
    for fn in functions:
        assert fn["TracingConfig"] == {"Mode": "Active"}
        assert fn["LoggingConfig"]["LogFormat"] == "JSON"
    caps = {m["FunctionName"]["Ref"]: m.get("ScalingConfig") for m in
            (r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::EventSourceMapping")}
    assert caps == {"PhotoCheck": {"MaximumConcurrency": 5}, "JobWorker": {"MaximumConcurrency": 20},
                    "JobDeadLetters": None}


def test_every_service_the_stage_uses_exists_in_its_partition(template):
    services = resource_services(template) | policy_services(role_policies(template))
    assert {"rekognition", "ses", "dynamodb", "s3", "sqs", "ssm", "cloudfront"} <= services
    assert missing_in_partition(services, "aws") == []


def test_sizes(packaged):
    code, layer = packaged / "deployment.zip", packaged / "layer-deployment.zip"
    print(f"\ndeployment.zip {code.stat().st_size:,} B ({_unzipped(code):,} B unzipped), "
          f"layer-deployment.zip {layer.stat().st_size:,} B ({_unzipped(layer):,} B unzipped)")
    assert code.stat().st_size < 15_000_000  # the budget, in decimal MB
    # `chalice deploy` sends the layer inline: Lambda's direct-upload limit is 50 MB zipped
    assert layer.stat().st_size < 50 * MB
    # function + layers unzipped must stay under Lambda's 250 MB
    assert _unzipped(code) + _unzipped(layer) < 250 * MB


def test_face_models_are_not_packaged(packaged):
    for name in ("deployment.zip", "layer-deployment.zip"):
        with zipfile.ZipFile(packaged / name) as z:
            names = z.namelist()
        # top-level packages (site-packages/ in the layer, the zip root for vendored code)
        assert not [n for n in names if re.match(
            r"(python/lib/python3\.\d+/site-packages/)?(dlib|_dlib_pybind11|face_recognition_models)\b", n)]
        assert not [n for n in names if n.endswith(".dat")]


def test_layer_wheels_run_on_the_lambda_runtime(packaged, template):
    """Every binary wheel must be manylinux for the runtime's glibc; a wheel Chalice compiled on
    this machine (tag linux_x86_64) links this machine's libraries and fails to import in Lambda."""
    runtime = template["Resources"]["APIHandler"]["Properties"]["Runtime"]
    max_glibc = RUNTIME_GLIBC[runtime]
    bad = []
    with zipfile.ZipFile(packaged / "layer-deployment.zip") as z:
        for name in z.namelist():
            if not name.endswith(".dist-info/WHEEL"):
                continue
            tags = [line.split(":", 1)[1].strip() for line in z.read(name).decode().splitlines()
                    if line.startswith("Tag:")]
            platforms = {t.split("-")[-1] for t in tags}
            if platforms == {"any"}:
                continue
            ok = False
            for plat in platforms:
                legacy = {"manylinux1_x86_64": (2, 5), "manylinux2010_x86_64": (2, 12),
                          "manylinux2014_x86_64": (2, 17)}
                m = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", plat)
                glibc = legacy.get(plat) or ((int(m.group(1)), int(m.group(2))) if m else None)
                ok = ok or (glibc is not None and glibc <= max_glibc)
            if not ok:
                bad.append(f"{name.split('/')[-2]} {sorted(platforms)}")
    assert bad == [], f"not loadable on {runtime}: {bad} (pin a version with a manylinux wheel)"


def test_functions_are_wired_to_the_stack_resources(template, chalice_config):
    res = template["Resources"]
    for fn, logical in LOGICAL.items():
        props = res[logical]["Properties"]
        assert props["MemorySize"] == function_setting(chalice_config, STAGE, fn, "lambda_memory_size")
        assert props["Timeout"] == function_setting(chalice_config, STAGE, fn, "lambda_timeout")
        assert props["Layers"] == [{"Ref": "ManagedLayer"}]
        variables = props["Environment"]["Variables"]
        assert variables["MEMBERS_TABLE"] == {"Ref": "MembersTable"}
        assert variables["PHOTO_BUCKET"] == {"Ref": "PhotoBucket"}
        assert "CAPTCHA_TEST_CODE" not in variables
        # the role Chalice generated carries exactly the hand-written policy file
        role = res[props["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert [p["PolicyDocument"] for p in role["Policies"]] == [load_policy(policy_file(chalice_config, STAGE, fn))]
    assert res["APIHandler"]["Properties"]["FunctionName"] == {"Fn::Sub": "cpa-ecert-${Stage}"}
    # the name the API invokes is the name the function gets (the same with `chalice deploy`)
    name = res["PhotoPrepare"]["Properties"]["FunctionName"]["Fn::Sub"].replace("${Stage}", STAGE)
    assert res["APIHandler"]["Properties"]["Environment"]["Variables"]["PHOTO_PREPARE_FUNCTION"] == name
    assert name == f"cpa-ecert-{STAGE}-photo_prepare"
    event = res["PhotoCheck"]["Properties"]["Events"]["PhotoCheckSqsEventSource"]["Properties"]
    assert event["Queue"] == {"Fn::Sub": "${PhotoQueue.Arn}"} and event["BatchSize"] == 1
    assert res["ApiHandlerLogGroup"]["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${APIHandler}"}
    assert "CAPTCHA_TEST_CODE" not in json.dumps(template)


def test_gateway_rejections_answer_json_with_cors(template):
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED"):
        spec = responses[kind]
        assert spec["statusCode"] == "401"
        assert json.loads(spec["responseTemplates"]["application/json"]) == {
            "code": "UNAUTHORIZED", "message": "登录已失效,请重新登录"}
        assert "gatewayresponse.header.Access-Control-Allow-Origin" in spec["responseParameters"]
    # the routes' authorizer is the one the overlay's responses are about
    auth = body["securityDefinitions"]["token_authorizer"]["x-amazon-apigateway-authorizer"]
    assert auth["authorizerResultTtlInSeconds"] == 0


def test_cors_preflight_uses_the_stage_site_url(template, chalice_config):
    """Chalice bakes SITE_URL into the OPTIONS answers at package time (docs/deploy.md)."""
    site = function_env(chalice_config, STAGE, "api_handler")["SITE_URL"].rstrip("/")
    options = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]["/me"]["options"]
    params = options["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"]
    assert params["method.response.header.Access-Control-Allow-Origin"] == f"'{site}'"


def test_every_shared_object_loads_on_amazon_linux_2(packaged, tmp_path):
    """Lambda's python3.11 runs on Amazon Linux 2: glibc 2.26, libstdc++ GLIBCXX 3.4.24."""
    for name in ("deployment.zip", "layer-deployment.zip"):
        needs = glibc_needs(unzip(packaged / name, tmp_path / name))
        if name == "layer-deployment.zip":
            assert needs  # Pillow, lxml, cryptography ...: the check has something to check
        assert too_new(needs) == [], name

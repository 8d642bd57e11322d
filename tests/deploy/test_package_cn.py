"""The AWS China stage, packaged as docs/deploy.md says (`scripts/package.py --stage prod-cn`:
`chalice package --merge-template infra/stack-cn.json` plus the face layer), checked offline:
cfn-lint for the two China regions, the partition of every ARN, the services the partition
offers, the SAM transform, what Lambda can load (glibc, sizes), and the face engine running
from the unpacked layers alone, as Lambda's /opt/python would hold them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FACES
from tests.deploy.conftest import BIN, function_env, offline_package_env
from tests.deploy.packaging import (
    MB,
    glibc_needs,
    load_template,
    missing_in_partition,
    package_stage,
    policy_services,
    resource_services,
    role_policies,
    sam_translate,
    too_new,
    unzip,
    unzipped_size,
)

STAGE = "prod-cn"
SITE_PACKAGES = "python/lib/python3.11/site-packages"  # where Chalice's managed layer puts packages


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory, chalice_config: dict[str, Any]) -> Path:
    out = tmp_path_factory.mktemp("package-cn") / "out"
    with offline_package_env(chalice_config, STAGE):
        package_stage(STAGE, out)
    return out


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    return load_template(packaged)


@pytest.fixture(scope="module")
def unpacked(packaged: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each zip unpacked as Lambda unpacks it: the code in /var/task, layers in /opt."""
    root = tmp_path_factory.mktemp("unpacked-cn")
    return {name: unzip(packaged / f"{name}.zip", root / name)
            for name in ("deployment", "layer-deployment", "face-layer")}


def test_package_writes_the_template_code_and_both_layers(packaged):
    assert {p.name for p in packaged.iterdir()} == {"sam.json", "deployment.zip", "layer-deployment.zip",
                                                    "face-layer.zip"}


def test_cfn_lint_passes_for_the_china_regions(packaged):
    run = subprocess.run([str(BIN / "cfn-lint"), "--regions", "cn-north-1", "cn-northwest-1", "--",
                          str(packaged / "sam.json")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_standard_partition_arn_anywhere(packaged):
    assert "arn:aws:" not in (packaged / "sam.json").read_text(encoding="utf-8")


def test_no_rekognition_or_ses_in_any_role(template):
    policies = role_policies(template)
    assert len(policies) == 6  # api_handler, token_authorizer, photo_check, photo_prepare, job_worker, job_dead_letters
    actions = {a for p in policies for st in p["Statement"] for a in st["Action"]}
    assert not [a for a in actions if a.split(":")[0] in ("rekognition", "ses", "sesv2")]


def test_every_service_the_stage_uses_exists_in_the_china_partition(template):
    services = resource_services(template) | policy_services(role_policies(template))
    assert {"dynamodb", "s3", "sqs", "ssm", "kms", "cloudfront", "lambda", "apigateway", "xray"} <= services
    assert missing_in_partition(services, "aws-cn") == []
    # the check can fail: the standard stage's services are not all in China
    assert missing_in_partition({"rekognition", "ses"}, "aws-cn") == ["rekognition", "ses"]


def test_sam_transform_succeeds_offline(template):
    res = sam_translate(template, "aws-cn")["Resources"]
    stages = [r["Properties"]["StageName"] for r in res.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stages == ["api"]
    layers = {k: r["Properties"]["Layers"] for k, r in res.items() if r["Type"] == "AWS::Lambda::Function"}
    face = [k for k, r in res.items() if r["Type"] == "AWS::Lambda::LayerVersion" and k.startswith("FaceLayer")]
    assert len(face) == 1
    # the photo check and the auto-fix; never the API function (its cold start stays small)
    assert {k for k, v in layers.items() if {"Ref": face[0]} in v} == {"PhotoCheck", "PhotoPrepare"}
    assert "arn:aws:" not in json.dumps(res)


def test_the_china_stage_runs_dlib_and_mails_by_smtp(template, chalice_config):
    for logical in ("APIHandler", "PhotoCheck", "PhotoPrepare", "TokenAuthorizer"):
        env = template["Resources"][logical]["Properties"]["Environment"]["Variables"]
        assert env["FACE_ENGINE"] == "dlib" and env["MAIL_ADAPTER"] == "smtp"
    api = template["Resources"]["APIHandler"]["Properties"]
    prepare = template["Resources"]["PhotoPrepare"]["Properties"]
    assert api["Environment"]["Variables"]["PHOTO_PREPARE_FUNCTION"] == \
        prepare["FunctionName"]["Fn::Sub"].replace("${Stage}", STAGE)
    # the auto-fix answers within the API's own timeout (API Gateway stops waiting at 29 s)
    assert prepare["Timeout"] < api["Timeout"] and prepare["MemorySize"] >= 2048
    site = function_env(chalice_config, STAGE, "api_handler")["SITE_URL"]
    # Chalice writes the CORS origin into the preflight answers: the ICP-filed site domain
    options = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]["/me"]["options"]
    params = options["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"]
    assert params["method.response.header.Access-Control-Allow-Origin"] == f"'{site}'"


def test_every_shared_object_loads_on_amazon_linux_2(unpacked):
    """Lambda's python3.11 runs on Amazon Linux 2: glibc 2.26, libstdc++ GLIBCXX 3.4.24."""
    for name, tree in unpacked.items():
        needs = glibc_needs(tree)
        if name != "deployment":
            assert needs, f"{name}: no shared objects found (the check would prove nothing)"
        assert too_new(needs) == [], name
    face = glibc_needs(unpacked["face-layer"])
    print("\nface layer needs at most GLIBC", ".".join(map(str, max(g for g, _ in face.values()))),
          "GLIBCXX", ".".join(map(str, max(x for _, x in face.values()))))


def test_sizes(packaged):
    sizes = {p.name: (p.stat().st_size, unzipped_size(p)) for p in packaged.glob("*.zip")}
    print("\n" + "\n".join(f"{n}: {z:,} B zipped, {u:,} B unzipped" for n, (z, u) in sorted(sizes.items())))
    for name, (zipped, _) in sizes.items():
        assert zipped <= 50 * MB, f"{name} is over Lambda's 50 MB direct-upload limit"
    # the heaviest functions (photo_check, photo_prepare: code + managed layer + face layer)
    # within 250 MB unzipped
    assert sum(u for _, u in sizes.values()) <= 250 * MB


def test_the_face_layer_holds_only_what_the_engine_loads(packaged):
    with zipfile.ZipFile(packaged / "face-layer.zip") as zf:
        names = zf.namelist()
    assert all(n.startswith("python/") for n in names)
    models = sorted(n.rsplit("/", 1)[1] for n in names if n.endswith(".dat"))
    assert models == ["dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat"]
    tops = {n.split("/")[1] for n in names}
    assert {t.split("-")[0] for t in tops if t.endswith(".dist-info")} == {"dlib_bin", "numpy"}
    assert "python/dlib_bin-19.24.6.dist-info/METADATA" in names
    # compiled ahead: /opt is read-only, numpy would be compiled again on every cold start
    assert "python/numpy/__pycache__/__init__.cpython-311.pyc" in names
    assert not [n for n in names if "/tests/" in n]
    # no duplicate of a managed-layer package: a later layer would silently shadow it
    with zipfile.ZipFile(packaged / "layer-deployment.zip") as zf:
        managed = {n.split("/")[4] for n in zf.namelist() if n.startswith(SITE_PACKAGES + "/") and n.count("/") > 4}
    assert not ({t for t in tops} & managed)


_SMOKE = r"""
import json, math, sys
from pathlib import Path
import dlib, numpy, PIL
from chalicelib.photo import dlib_engine
from chalicelib.photo.dlib_engine import DlibEngine
from chalicelib.photo.imaging import Photo
from PIL import Image
faces = Path(sys.argv[1])
engine = DlibEngine()
def scan(name):
    photo = Photo(Image.open(faces / name).convert("RGB"))
    return engine.scan(photo), photo
def distance(a, b):
    (sa, pa), (sb, pb) = scan(a), scan(b)
    return engine.compare(sa, pa, pb).score
print(json.dumps({
    "dlib": dlib.__file__, "dlib_version": dlib.__version__, "numpy": numpy.__file__, "pil": PIL.__file__,
    "models": str(dlib_engine.models_dir()),
    "same": distance("obama_01.jpg", "obama_02.jpg"),
    "different": distance("obama_01.jpg", "biden_01.jpg"),
}))
"""


def test_the_face_engine_runs_from_the_unpacked_layers_alone(unpacked, chalice_config):
    """A fresh interpreter without site-packages (-S): sys.path is the code, then the layers, as
    in Lambda (/var/task, /opt/python, /opt/python/lib/python3.11/site-packages)."""
    face, managed, code = unpacked["face-layer"], unpacked["layer-deployment"], unpacked["deployment"]
    path = [str(code), str(face / "python"), str(managed / SITE_PACKAGES)]
    env = {"PYTHONPATH": os.pathsep.join(path), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    run = subprocess.run([sys.executable, "-S", "-c", _SMOKE, str(FACES / "spec_white")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"\nfrom the layers: dlib {found['dlib_version']}, obama_01-obama_02 {found['same']}, "
          f"obama_01-biden_01 {found['different']}")
    assert found["dlib"].startswith(str(face)) and found["numpy"].startswith(str(face))
    assert found["models"].startswith(str(face)) and found["pil"].startswith(str(managed))
    assert found["dlib_version"] == "19.24.6"
    env_cfg = function_env(chalice_config, STAGE, "photo_check")
    assert found["same"] <= float(env_cfg["FACE_DLIB_ACCEPT_MAX_DISTANCE"])
    assert found["different"] > float(env_cfg["FACE_DLIB_REVIEW_MAX_DISTANCE"])

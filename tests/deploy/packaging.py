"""Helpers for the checks on what `scripts/package.py` writes: the SAM transform run offline,
the AWS services a template and its policies use, glibc symbol versions of shared objects, and
unpacking of zips as Lambda unpacks them."""

from __future__ import annotations

import copy
import fcntl
import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import botocore.session

from tests.deploy.conftest import ROOT, _load

MB = 1024 * 1024  # Lambda's limits are in MiB
# glibc and libstdc++ of the Lambda python3.11 runtime (Amazon Linux 2)
MAX_GLIBC = (2, 26)
MAX_GLIBCXX = (3, 4, 24)
REGION_OF = {"aws": "us-east-1", "aws-cn": "cn-north-1"}

# CloudFormation resource namespace -> botocore service name (where they differ)
_CFN_SERVICE = {"ApiGateway": "apigateway", "CloudWatch": "cloudwatch", "Logs": "logs", "S3": "s3", "SQS": "sqs",
                "SNS": "sns", "DynamoDB": "dynamodb", "Lambda": "lambda", "IAM": "iam", "CloudFront": "cloudfront",
                "SES": "sesv2", "SSM": "ssm", "KMS": "kms", "XRay": "xray"}


def package_stage(stage: str, out: Path) -> Path:
    """Run the documented package step (scripts/package.py) for `stage` into `out`.

    Chalice builds the dependency layer in the project's own `.chalice/deployments/` cache, so two
    package runs at once (the test workers run `prod` and `prod-cn` in parallel) would read each
    other's half-written zip: one at a time, whichever process runs it.
    """
    package = _load(ROOT / "scripts" / "package.py")
    lock = ROOT / ".chalice" / "deployments" / ".package.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        package.package(stage, out)  # type: ignore[attr-defined]
    return out


def sam_translate(template: dict[str, Any], partition: str) -> dict[str, Any]:
    """The SAM transform, offline, as CloudFormation would run it after `aws cloudformation
    package` has replaced the local artifact paths with S3 locations."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    doc = copy.deepcopy(template)
    for res in doc["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://artifact-bucket/{Path(props[key]).name}"
    session = boto3.session.Session(region_name=REGION_OF[partition], aws_access_key_id="offline",
                                    aws_secret_access_key="offline")
    return Translator({}, Parser(), boto_session=session).translate(doc, {"AWS::AccountId": "123456789012"})


_SERVERLESS = {"Function": "lambda", "LayerVersion": "lambda", "Api": "apigateway"}


def resource_services(template: dict[str, Any]) -> set[str]:
    found = set()
    for res in template["Resources"].values():
        parts = res.get("Type", "").split("::")
        if len(parts) == 3 and parts[:2] == ["AWS", "Serverless"]:
            found.add(_SERVERLESS[parts[2]])
        elif len(parts) == 3 and parts[0] == "AWS":
            found.add(_CFN_SERVICE.get(parts[1], parts[1].lower()))
    return found


def policy_services(policies: list[dict[str, Any]]) -> set[str]:
    return {action.split(":", 1)[0] for p in policies for st in p["Statement"] if st["Effect"] == "Allow"
            for action in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}


def missing_in_partition(services: set[str], partition: str) -> list[str]:
    session = botocore.session.get_session()
    return sorted(s for s in services
                  if not session.get_available_regions(s, partition_name=partition, allow_non_regional=True))


def role_policies(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [p["PolicyDocument"] for r in template["Resources"].values() if r.get("Type") == "AWS::IAM::Role"
            for p in r["Properties"].get("Policies", [])]


def unzip(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest


def unzipped_size(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as zf:
        return sum(i.file_size for i in zf.infolist())


def _versions(text: str, prefix: str) -> set[tuple[int, ...]]:
    return {tuple(int(x) for x in v.split(".")) for v in re.findall(rf"\b{prefix}_([0-9.]+[0-9])\b", text)}


def glibc_needs(tree: Path) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Shared object -> (highest GLIBC_, highest GLIBCXX_) version it needs, from `objdump -T`."""
    needs = {}
    for path in sorted(tree.rglob("*")):
        if not path.is_file() or not re.search(r"\.so(\.|$)", path.name):
            continue
        with open(path, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        dump = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True, check=True).stdout
        glibc, glibcxx = _versions(dump, "GLIBC"), _versions(dump, "GLIBCXX")
        needs[str(path.relative_to(tree))] = (max(glibc, default=(0,)), max(glibcxx, default=(0,)))
    return needs


def too_new(needs: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]) -> list[str]:
    return [f"{name}: GLIBC {'.'.join(map(str, g))}, GLIBCXX {'.'.join(map(str, x))}"
            for name, (g, x) in needs.items() if g > MAX_GLIBC or x > MAX_GLIBCXX]


def load_template(out: Path) -> dict[str, Any]:
    return json.loads((out / "sam.json").read_text(encoding="utf-8"))

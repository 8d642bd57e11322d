"""Generate the IAM policy files in .chalice/ for every stage from one template.

Why this exists: Chalice's policy generator cannot see calls made from chalicelib/ or PynamoDB,
so each function's role is written by hand (`autogen_policy: false`). Hand-copying the files per
stage let them drift, and a literal `arn:aws:` is rejected by IAM in the AWS China regions
(partition `aws-cn`), whose service endpoints also end in `amazonaws.com.cn` (the
`kms:ViaService` condition names them). So the statements live here once, and each stage's files
are rendered for its partition and for the services the stage really uses: the face engine
(`FACE_ENGINE`: Rekognition or dlib in the function) and mail (`MAIL_ADAPTER`: SES or SMTP with
credentials from SSM) are read from the stage's environment in .chalice/config.json, so a policy
cannot disagree with the configuration it serves.

The files are committed (Chalice reads them at deploy time); a test fails when they differ from
what this script renders.

Usage: python infra/policies.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent.parent
CHALICE_DIR = ROOT / ".chalice"
CONFIG = CHALICE_DIR / "config.json"

# Partition of each deployed stage, and the DNS suffix of its service endpoints.
STAGE_PARTITION = {"dev": "aws", "prod": "aws", "prod-cn": "aws-cn"}
DNS_SUFFIX = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}

# function -> policy file suffix ("" = the stage's default file, used by the API function)
ROLE_FILES = {"api_handler": "", "photo_check": "-photo-check", "token_authorizer": "-authorizer",
              "job_worker": "-job-worker", "job_dead_letters": "-job-dead-letters"}
# Rendered for each stage that configures this function (all of them today): the photo auto-fix
# in a function of its own, so that only it (and not the API) carries the face layer. The image
# is too large for Lambda's 6 MB payload, so the API stages it under prepare/ in the photo bucket
# and invokes the function with the key; the function reads and deletes that object and returns
# the fitted photo, so its role reaches prepare/ and nothing else.
PREPARE_FUNCTION = "photo_prepare"
PREPARE_FILE = "-photo-prepare"
STAGING = "prepare"

Statement = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """What one stage's policies depend on."""

    stage: str
    partition: str
    face_engine: str  # "rekognition" | "dlib"
    mail_adapter: str  # "ses" | "smtp"
    separate_prepare: bool = False  # the photo auto-fix runs in its own function

    @property
    def dns(self) -> str:
        return DNS_SUFFIX[self.partition]

    def arn(self, service: str, resource: str, region: str = "*", account: str = "*") -> str:
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def s3(self, resource: str) -> str:
        return f"arn:{self.partition}:s3:::{resource}"

    def table(self, name: str) -> str:
        return self.arn("dynamodb", f"table/cpa-ecert-{self.stage}-{name}")

    def param(self, name: str) -> str:
        return self.arn("ssm", f"parameter/cpa-ecert/{self.stage}/{name}")

    def photos(self, prefix: str = "") -> str:
        return self.s3(f"cpa-ecert-{self.stage}-photos-*{prefix}")


def profile_of(config: Mapping[str, Any], stage: str) -> Profile:
    env = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    functions = config["stages"][stage].get("lambda_functions") or {}
    separate = PREPARE_FUNCTION in functions
    # The API invokes the function named by PHOTO_PREPARE_FUNCTION; the roles follow the
    # function's configuration. Both or neither, and the name the function is deployed under.
    expected = f"cpa-ecert-{stage}-{PREPARE_FUNCTION}" if separate else ""
    if env.get("PHOTO_PREPARE_FUNCTION", "") != expected:
        raise ValueError(f"stage {stage}: PHOTO_PREPARE_FUNCTION must be {expected!r} "
                         f"when {PREPARE_FUNCTION} is {'' if separate else 'not '}configured")
    return Profile(stage=stage, partition=STAGE_PARTITION[stage],
                   face_engine=env.get("FACE_ENGINE", "dlib"), mail_adapter=env.get("MAIL_ADAPTER", "ses"),
                   separate_prepare=separate)


def _logs(p: Profile, function_name: str) -> Statement:
    return {"Sid": "Logs", "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": p.arn("logs", f"log-group:/aws/lambda/{function_name}:*")}


def _tracing() -> Statement:
    # Active X-Ray tracing: Chalice creates the roles itself, so SAM does not attach
    # AWSXrayWriteOnlyAccess; these two actions take no resource ARN.
    return {"Sid": "Tracing", "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"}


def _decrypt(p: Profile, sid: str, parameter_arn: str) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": p.arn("kms", "key/*"),
            "Condition": {"StringLike": {"kms:ViaService": f"ssm.*.{p.dns}",
                                         "kms:EncryptionContext:PARAMETER_ARN": parameter_arn}}}


def _own_account_only(allows: list[Statement]) -> Statement:
    """Resources are named by pattern (account and region are unknown to a static file): an
    explicit Deny keeps every data action to resources of the function's own account."""
    data = ("dynamodb:", "s3:", "sqs:", "ses:", "ssm:", "kms:", "lambda:")
    actions = sorted({a for st in allows for a in st["Action"] if a.startswith(data)})
    return {"Sid": "OwnAccountOnly", "Effect": "Deny", "Action": actions, "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}}


def api_policy(p: Profile) -> list[Statement]:
    s = p.stage
    secrets = ["token-key", "verify-key", "signing-key-pem", "signing-cert-pem"]
    if p.mail_adapter == "smtp":
        secrets.append("smtp-credentials")
    allows: list[Statement] = [
        _logs(p, f"cpa-ecert-{s}"),
        _tracing(),
        {"Sid": "DataTables", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem"],
         "Resource": [p.table("members"), p.table("members/index/*"), p.table("accounts"), p.table("counters"),
                      p.table("ephemeral"), p.table("applications"), p.table("applications/index/*"),
                      p.table("uploads"), p.table("uploads/index/*")]},
        {"Sid": "ImportIdIndexScan", "Effect": "Allow", "Action": ["dynamodb:Scan"],
         "Resource": [p.table("members/index/by_id_number")]},
        {"Sid": "AuditAppendOnly", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem"],
         "Resource": p.table("audit")},
        {"Sid": "PhotoBucketRead", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
         "Resource": [p.photos(f"/{k}/*") for k in ("uploads", "photos", "reference", "certificates", "seals")]},
        {"Sid": "PhotoBucketWrite", "Effect": "Allow", "Action": ["s3:PutObject"],
         "Resource": [p.photos(f"/{k}/*") for k in ("uploads", "photos", "certificates", "jobs/imports")]},
        {"Sid": "PhotoBucketMissingKeyIs404", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": p.photos()},
        {"Sid": "JobResultsRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": p.photos("/jobs/*")},
        {"Sid": "JobsQueueSend", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
         "Resource": p.arn("sqs", f"cpa-ecert-{s}-jobs")},
    ]
    if p.mail_adapter == "ses":
        allows.append({"Sid": "Mail", "Effect": "Allow", "Action": ["ses:SendEmail"],
                       "Resource": p.arn("ses", "identity/*")})
    allows += [
        {"Sid": "Secrets", "Effect": "Allow", "Action": ["ssm:GetParameter"],
         "Resource": [p.param(n) for n in secrets]},
        _decrypt(p, "SecretsDecrypt", p.param("*")),
    ]
    if p.separate_prepare:
        allows += [
            {"Sid": "PhotoPrepare", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
             "Resource": p.arn("lambda", f"function:cpa-ecert-{s}-{PREPARE_FUNCTION}")},
            # the auto-fix's input, handed over in the bucket; removed again if the function failed
            {"Sid": "PhotoPrepareStaging", "Effect": "Allow",
             "Action": ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
             "Resource": p.photos(f"/{STAGING}/*")},
        ]
    elif p.face_engine == "rekognition":
        # /me/photo/prepare and use-reference detect faces; only the photo check compares them
        allows.append({"Sid": "FaceDetection", "Effect": "Allow", "Action": ["rekognition:DetectFaces"],
                       "Resource": "*"})
    return allows + [_own_account_only(allows)]


def photo_prepare_policy(p: Profile) -> list[Statement]:
    allows: list[Statement] = [
        _logs(p, f"cpa-ecert-{p.stage}-{PREPARE_FUNCTION}"),
        _tracing(),
        {"Sid": "StagedPhoto", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"],
         "Resource": p.photos(f"/{STAGING}/*")},
    ]
    if p.face_engine == "rekognition":
        allows.append({"Sid": "FaceDetection", "Effect": "Allow", "Action": ["rekognition:DetectFaces"],
                       "Resource": "*"})
    return allows + [_own_account_only(allows)]


def photo_check_policy(p: Profile) -> list[Statement]:
    s = p.stage
    allows: list[Statement] = [
        _logs(p, f"cpa-ecert-{s}-photo_check"),
        _tracing(),
        {"Sid": "PhotoQueue", "Effect": "Allow",
         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
         "Resource": p.arn("sqs", f"cpa-ecert-{s}-photo-checks")},
        {"Sid": "MembersAndUploads", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"],
         "Resource": [p.table("members"), p.table("uploads")]},
        # a new upload closes the member's older upload still waiting for review
        {"Sid": "UploadsOfAMember", "Effect": "Allow", "Action": ["dynamodb:Query"],
         "Resource": p.table("uploads") + "/index/by_member"},
        {"Sid": "AuditAppendOnly", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
         "Resource": p.table("audit")},
        {"Sid": "PhotoBucketRead", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
         "Resource": [p.photos(f"/{k}/*") for k in ("uploads", "photos", "reference")]},
        {"Sid": "PhotoBucketWrite", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": p.photos("/photos/*")},
        {"Sid": "PhotoBucketMissingKeyIs404", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": p.photos()},
    ]
    if p.face_engine == "rekognition":
        allows.append({"Sid": "FaceCheck", "Effect": "Allow",
                       "Action": ["rekognition:DetectFaces", "rekognition:CompareFaces"], "Resource": "*"})
    return allows + [_own_account_only(allows)]


def job_worker_policy(p: Profile) -> list[Statement]:
    """Export and bulk certificates: read members, issue certificates, write job files."""
    s = p.stage
    allows: list[Statement] = [
        _logs(p, f"cpa-ecert-{s}-job_worker"),
        _tracing(),
        {"Sid": "JobsQueue", "Effect": "Allow",
         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage",
                    "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility"],
         "Resource": p.arn("sqs", f"cpa-ecert-{s}-jobs")},
        {"Sid": "DataTables", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                    "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"],
         "Resource": [p.table("members"), p.table("members/index/*"), p.table("ephemeral")]},
        {"Sid": "AuditAppendOnly", "Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": p.table("audit")},
        {"Sid": "PhotoBucketRead", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
         "Resource": [p.photos(f"/{k}/*") for k in ("photos", "certificates", "seals", "jobs")]},
        {"Sid": "PhotoBucketWrite", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": [p.photos(f"/{k}/*") for k in ("certificates", "jobs")]},
        # a result streamed into a multipart upload is aborted when its assembly fails
        {"Sid": "JobResultsAbort", "Effect": "Allow", "Action": ["s3:AbortMultipartUpload"],
         "Resource": p.photos("/jobs/*")},
        {"Sid": "PhotoBucketMissingKeyIs404", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": p.photos()},
        {"Sid": "Secrets", "Effect": "Allow", "Action": ["ssm:GetParameter"],
         "Resource": [p.param(n) for n in ("verify-key", "signing-key-pem", "signing-cert-pem")]},
        _decrypt(p, "SecretsDecrypt", p.param("*")),
    ]
    return allows + [_own_account_only(allows)]


def job_dead_letters_policy(p: Profile) -> list[Statement]:
    """A job message that failed every delivery: read the jobs dead-letter queue, fail the job."""
    s = p.stage
    allows: list[Statement] = [
        _logs(p, f"cpa-ecert-{s}-job_dead_letters"),
        _tracing(),
        {"Sid": "JobsDeadLetterQueue", "Effect": "Allow",
         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
         "Resource": p.arn("sqs", f"cpa-ecert-{s}-jobs-dlq")},
        {"Sid": "JobState", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
         "Resource": p.table("ephemeral")},
    ]
    return allows + [_own_account_only(allows)]


def authorizer_policy(p: Profile) -> list[Statement]:
    s = p.stage
    allows: list[Statement] = [
        _logs(p, f"cpa-ecert-{s}-token_authorizer"),
        _tracing(),
        {"Sid": "TokenState", "Effect": "Allow", "Action": ["dynamodb:GetItem"],
         "Resource": [p.table("accounts"), p.table("ephemeral")]},
        {"Sid": "TokenKey", "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": p.param("token-key")},
        _decrypt(p, "TokenKeyDecrypt", p.param("token-key")),
    ]
    return allows + [_own_account_only(allows)]


RENDERERS = {"api_handler": api_policy, "photo_check": photo_check_policy, "token_authorizer": authorizer_policy,
             "job_worker": job_worker_policy, "job_dead_letters": job_dead_letters_policy,
             PREPARE_FUNCTION: photo_prepare_policy}


def render_stage(config: Mapping[str, Any], stage: str) -> dict[str, str]:
    """File name -> file text for every role of `stage`."""
    p = profile_of(config, stage)
    roles = dict(ROLE_FILES)
    if p.separate_prepare:
        roles[PREPARE_FUNCTION] = PREPARE_FILE
    return {f"policy-{stage}{suffix}.json":
            json.dumps({"Version": "2012-10-17", "Statement": RENDERERS[fn](p)}, indent=2) + "\n"
            for fn, suffix in roles.items()}


def render_all(config: Mapping[str, Any]) -> dict[str, str]:
    files: dict[str, str] = {}
    for stage in config["stages"]:
        files.update(render_stage(config, stage))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed policy file is stale")
    args = parser.parse_args(argv)
    config = json.loads(CONFIG.read_text(encoding="utf-8"))
    files = render_all(config)
    stray = sorted(p.name for p in CHALICE_DIR.glob("policy-*.json") if p.name not in files)
    stale = sorted(n for n, text in files.items()
                   if not (CHALICE_DIR / n).exists() or (CHALICE_DIR / n).read_text(encoding="utf-8") != text)
    if args.check:
        for name in stale:
            print(f"stale: .chalice/{name} (run python infra/policies.py)", file=sys.stderr)
        for name in stray:
            print(f"not generated: .chalice/{name} (no stage uses it)", file=sys.stderr)
        return 1 if stale or stray else 0
    for name in stale:
        (CHALICE_DIR / name).write_text(files[name], encoding="utf-8")
        print(f"wrote .chalice/{name}")
    for name in stray:
        (CHALICE_DIR / name).unlink()
        print(f"removed .chalice/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

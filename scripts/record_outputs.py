"""Write a deployed stack's outputs into a stage's environment in .chalice/config.json.

Why this exists: `chalice deploy` (docs/deploy.md, way b) reads table, bucket, queue and
parameter names from the stage's `environment_variables`, while CloudFormation decides some of
them (the photo bucket carries the account id, the site URL is CloudFront's until a custom domain
is set). This copies them across, refuses a stack of another stage, and refuses names that the
stage's hand-written IAM policies would not allow (the policies name resources by pattern).

It also serves way a: after the first one-stack deploy, it records the site URL, which
`chalice package` bakes into the CORS preflight responses.

Usage:
    python scripts/record_outputs.py --stage prod --stack cpa-ecert-prod-resources \
        [--mail-sender no-reply@ecert.example.cn] [--region cn-north-1] [--dry-run]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"

# stack output -> stage environment variable
OUTPUT_TO_ENV: dict[str, str] = {
    "MembersTableName": "MEMBERS_TABLE",
    "AccountsTableName": "ACCOUNTS_TABLE",
    "AuditTableName": "AUDIT_TABLE",
    "CountersTableName": "COUNTERS_TABLE",
    "EphemeralTableName": "EPHEMERAL_TABLE",
    "ApplicationsTableName": "APPLICATIONS_TABLE",
    "UploadsTableName": "UPLOADS_TABLE",
    "PhotoBucketName": "PHOTO_BUCKET",
    "PhotoQueueName": "PHOTO_QUEUE",
    "SiteURL": "SITE_URL",
    "TokenKeyParam": "TOKEN_KEY_PARAM",
    "VerifyKeyParam": "VERIFY_KEY_PARAM",
    "SigningKeyPemParam": "SIGNING_KEY_PEM_PARAM",
    "SigningCertPemParam": "SIGNING_CERT_PEM_PARAM",
}

# environment variable -> an ARN the functions use with that name (partition left out)
_ARN_OF: dict[str, str] = {
    "MEMBERS_TABLE": "dynamodb:region:account:table/{}",
    "ACCOUNTS_TABLE": "dynamodb:region:account:table/{}",
    "AUDIT_TABLE": "dynamodb:region:account:table/{}",
    "COUNTERS_TABLE": "dynamodb:region:account:table/{}",
    "EPHEMERAL_TABLE": "dynamodb:region:account:table/{}",
    "APPLICATIONS_TABLE": "dynamodb:region:account:table/{}",
    "UPLOADS_TABLE": "dynamodb:region:account:table/{}",
    "PHOTO_BUCKET": "s3:::{}/photos/0.jpg",
    "PHOTO_QUEUE": "sqs:region:account:{}",
    "TOKEN_KEY_PARAM": "ssm:region:account:parameter{}",
}


class RecordError(RuntimeError):
    """The outputs cannot be recorded (wrong stack, stage or names the policies do not allow)."""


def fetch_outputs(cfn: Any, stack: str) -> dict[str, str]:
    stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    if not stacks:
        raise RecordError(f"stack {stack} not found")
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def _policy_resources(policy: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        resources = statement.get("Resource", [])
        found.extend([resources] if isinstance(resources, str) else resources)
    return found


def policy_problems(env: Mapping[str, str], policies: Iterable[Mapping[str, Any]]) -> list[str]:
    """Names in `env` that no Allow statement of the stage's policies covers."""
    patterns = [r.split(":", 2)[2] for p in policies for r in _policy_resources(p) if r.startswith("arn:")]
    problems = []
    for var, arn in _ARN_OF.items():
        value = env.get(var)
        if value and not any(fnmatch.fnmatchcase(arn.format(value), pat) for pat in patterns):
            problems.append(f"{var}={value} is not allowed by the stage's IAM policy files")
    return problems


def stage_policies(config: Mapping[str, Any], stage: str, chalice_dir: Path) -> list[dict[str, Any]]:
    """Every policy file a function of `stage` uses."""
    stage_cfg = config["stages"][stage]
    names = {stage_cfg.get("iam_policy_file", f"policy-{stage}.json")}
    for fn in (stage_cfg.get("lambda_functions") or {}).values():
        if fn.get("iam_policy_file"):
            names.add(fn["iam_policy_file"])
    return [json.loads((chalice_dir / n).read_text(encoding="utf-8")) for n in sorted(names)]


def apply_outputs(config: dict[str, Any], stage: str, outputs: Mapping[str, str],
                  mail_sender: str | None = None) -> list[str]:
    """Update `config` in place; returns the names of the variables that changed."""
    if stage not in config.get("stages", {}):
        raise RecordError(f"stage {stage} is not in .chalice/config.json")
    if outputs.get("Stage") and outputs["Stage"] != stage:
        raise RecordError(f"the stack serves stage {outputs['Stage']}, not {stage}")
    missing = sorted(k for k in OUTPUT_TO_ENV if k not in outputs)
    if missing:
        raise RecordError(f"the stack lacks outputs {missing}: is it a cpa-ecert resources stack?")
    env = config["stages"][stage].setdefault("environment_variables", {})
    updates = {var: outputs[key] for key, var in OUTPUT_TO_ENV.items()}
    if mail_sender:
        updates["MAIL_SENDER"] = mail_sender
    changed = [var for var, value in updates.items() if env.get(var) != value]
    env.update(updates)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--stack", required=True, help="the resources stack (way b) or the one stack (way a)")
    parser.add_argument("--mail-sender", help="sender address in the SES-verified domain")
    parser.add_argument("--region")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)

    import boto3

    config = json.loads(args.config.read_text(encoding="utf-8"))
    outputs = fetch_outputs(boto3.client("cloudformation", region_name=args.region), args.stack)
    try:
        changed = apply_outputs(config, args.stage, outputs, args.mail_sender)
        env = config["stages"][args.stage]["environment_variables"]
        problems = policy_problems(env, stage_policies(config, args.stage, args.config.parent))
        if problems:
            raise RecordError("; ".join(problems))
    except RecordError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for var in changed:
        print(f"{args.stage}: {var} = {env[var]}")
    if not changed:
        print(f"{args.stage}: already up to date")
    if "SITE_URL" in changed:
        print("SITE_URL changed: package/deploy the API again so its CORS answers use it.")
    if not args.dry_run:
        args.config.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

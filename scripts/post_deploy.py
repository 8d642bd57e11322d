"""After `chalice deploy` (way b): give the REST API what the one-stack template gives it.

Why this exists: `chalice deploy` imports the API with `put_rest_api(mode="overwrite")`, which
resets gateway responses, and it has no settings for stage throttling or access logs. The
one-stack deployment (way a) declares them in infra/chalice-overlay.yaml; this script applies the
same block to the API that `chalice deploy` recorded in `.chalice/deployed/<stage>.json`, so both
ways end with the same API. Run it after every `chalice deploy`.

- gateway responses (401 JSON {"code": "UNAUTHORIZED", ...} with CORS headers for an expired or
  revoked token, 429/413/4xx/5xx in the same shape), CORS origin = the stage's SITE_URL;
- stage throttling and metrics (the overlay's ApiThrottleRate/ApiThrottleBurst defaults);
- the access log to /aws/apigateway/cpa-ecert-<stage>-access (created by infra/resources.yaml);
- a new deployment of the stage, so the gateway responses take effect;
- the API's name cpa-ecert-<stage> (the 5xx alarm of infra/resources.yaml watches that name);
- the runtime's JSON log format on every function (the overlay's Globals.Function.LoggingConfig);
- at most N concurrent invocations on each SQS source (the overlay's ScalingConfig: photo checks,
  and job workers, capped at the job worker's reserved concurrency).

Active X-Ray tracing needs no step here: `"xray": true` in .chalice/config.json makes
`chalice deploy` enable it on the functions and on the API stage.

Usage: python scripts/post_deploy.py --stage prod [--no-access-log] [--region R] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.build_stack import OVERLAY, load_template  # noqa: E402

GATEWAY_RESPONSES_KEY = "x-amazon-apigateway-gateway-responses"


class PostDeployError(RuntimeError):
    pass


def _site_origin(site_url: str) -> str:
    parts = site_url.split("/")
    if not site_url.startswith("https://") or len(parts) < 3 or not parts[2]:
        raise PostDeployError(f"SITE_URL must be an https URL, got {site_url!r}")
    return "/".join(parts[:3])


def gateway_responses(site_url: str, overlay: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The overlay's gateway responses with the CORS origin set to the site's origin."""
    overlay = overlay or load_template(OVERLAY)
    block = overlay["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][GATEWAY_RESPONSES_KEY]
    origin = f"'{_site_origin(site_url)}'"
    resolved: dict[str, dict[str, Any]] = {}
    for kind, spec in block.items():
        params = {}
        for name, value in (spec.get("responseParameters") or {}).items():
            if isinstance(value, dict):  # the template computes the origin; here we know it
                if name != "gatewayresponse.header.Access-Control-Allow-Origin":
                    raise PostDeployError(f"{kind}: cannot resolve {name} outside CloudFormation")
                value = origin
            params[name] = value
        resolved[kind] = {**spec, "responseParameters": params}
    return resolved


def stage_patch(overlay: Mapping[str, Any], access_log_arn: str | None) -> list[dict[str, str]]:
    params = overlay["Parameters"]
    settings = overlay["Resources"]["RestAPI"]["Properties"]
    ops = [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(params["ApiThrottleRate"]["Default"])},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(params["ApiThrottleBurst"]["Default"])},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
    ]
    if access_log_arn:
        log_format = settings["AccessLogSetting"]["Fn::If"][1]["Format"]
        ops += [{"op": "replace", "path": "/accessLogSettings/destinationArn", "value": access_log_arn},
                {"op": "replace", "path": "/accessLogSettings/format", "value": log_format}]
    return ops


def rest_api_id(stage: str, root: Path = ROOT) -> str:
    path = root / ".chalice" / "deployed" / f"{stage}.json"
    if not path.exists():
        raise PostDeployError(f"{path.relative_to(root)} not found: run chalice deploy --stage {stage} first")
    for resource in json.loads(path.read_text(encoding="utf-8")).get("resources", []):
        if resource.get("resource_type") == "rest_api":
            return str(resource["rest_api_id"])
    raise PostDeployError(f"no rest_api in {path.name}")


def apply(apigw: Any, api_id: str, api_stage: str, responses: Mapping[str, Mapping[str, Any]],
          patch: list[dict[str, str]]) -> None:
    for kind, spec in responses.items():
        kwargs: dict[str, Any] = {"restApiId": api_id, "responseType": kind,
                                  "responseParameters": dict(spec["responseParameters"]),
                                  "responseTemplates": dict(spec["responseTemplates"])}
        if spec.get("statusCode"):
            kwargs["statusCode"] = str(spec["statusCode"])
        apigw.put_gateway_response(**kwargs)
    apigw.create_deployment(restApiId=api_id, stageName=api_stage,
                            description="scripts/post_deploy.py: gateway responses")
    apigw.update_stage(restApiId=api_id, stageName=api_stage, patchOperations=patch)


def function_names(stage: str) -> list[str]:
    """The names `chalice deploy` gives the stage's functions (the overlay uses the same)."""
    return [f"cpa-ecert-{stage}"] + [f"cpa-ecert-{stage}-{name}" for name in
                                     ("photo_check", "photo_prepare", "token_authorizer", "job_worker", "job_dead_letters")]


# The overlay's functions with an SQS source whose concurrency it caps, and the name suffix
# `chalice deploy` gives them.
SQS_SOURCES = {"PhotoCheck": ("photo_check", "PhotoCheckSqsEventSource"),
               "JobWorker": ("job_worker", "JobWorkerSqsEventSource")}


def function_settings(overlay: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, int]]:
    """(LoggingConfig for every function, each capped SQS source's MaximumConcurrency by function
    name suffix)."""
    logging_config = dict(overlay["Globals"]["Function"]["LoggingConfig"])
    caps = {}
    for logical_id, (suffix, event) in SQS_SOURCES.items():
        source = overlay["Resources"][logical_id]["Properties"]["Events"][event]
        caps[suffix] = int(source["Properties"]["ScalingConfig"]["MaximumConcurrency"])
    return logging_config, caps


def apply_functions(lam: Any, stage: str, logging_config: Mapping[str, str], caps: Mapping[str, int]) -> None:
    for name in function_names(stage):
        lam.update_function_configuration(FunctionName=name, LoggingConfig=dict(logging_config))
    for suffix, cap in caps.items():
        function = f"cpa-ecert-{stage}-{suffix}"
        mappings = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        if not mappings:
            raise PostDeployError(f"{function} has no SQS event source: run chalice deploy first")
        for mapping in mappings:
            lam.update_event_source_mapping(UUID=mapping["UUID"], ScalingConfig={"MaximumConcurrency": cap})


def rename_api(apigw: Any, api_id: str, stage: str) -> None:
    apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/name", "value": f"cpa-ecert-{stage}"}])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--no-access-log", action="store_true",
                        help="skip the access log (the account has no API Gateway CloudWatch role yet)")
    parser.add_argument("--region")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)

    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    stage_cfg = config["stages"][args.stage]
    env = {**config.get("environment_variables", {}), **stage_cfg.get("environment_variables", {})}
    api_stage = stage_cfg.get("api_gateway_stage", config.get("api_gateway_stage", "api"))
    overlay = load_template(OVERLAY)
    try:
        api_id = rest_api_id(args.stage)
        responses = gateway_responses(env["SITE_URL"], overlay)
    except PostDeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    import boto3

    log_arn = None
    if args.dry_run and not args.no_access_log:
        log_arn = f"<arn of /aws/apigateway/cpa-ecert-{args.stage}-access>"
    elif not args.no_access_log:
        logs = boto3.client("logs", region_name=args.region)
        name = f"/aws/apigateway/cpa-ecert-{args.stage}-access"
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        match = [g for g in groups if g["logGroupName"] == name]
        if not match:
            print(f"error: log group {name} missing: deploy infra/resources.yaml first", file=sys.stderr)
            return 1
        log_arn = match[0]["arn"].removesuffix(":*")
    patch = stage_patch(overlay, log_arn)
    logging_config, caps = function_settings(overlay)
    capped = ", ".join(f"{suffix} at most {cap}" for suffix, cap in caps.items())
    print(f"API {api_id}, stage {api_stage}: {len(responses)} gateway responses, {len(patch)} stage settings; "
          f"functions: {logging_config['LogFormat']} logs; concurrent invocations from SQS: {capped}")
    if args.dry_run:
        print(json.dumps({"gateway_responses": responses, "patch": patch, "logging": logging_config},
                         ensure_ascii=False, indent=2))
        return 0
    apigw = boto3.client("apigateway", region_name=args.region)
    apply(apigw, api_id, api_stage, responses, patch)
    rename_api(apigw, api_id, args.stage)
    try:
        apply_functions(boto3.client("lambda", region_name=args.region), args.stage, logging_config, caps)
    except PostDeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())

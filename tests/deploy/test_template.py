"""infra/resources.yaml and infra/stack.json: tables as the models declare them, the photo bucket,
queue and site as DESIGN section 6 describes them, and names the stage config and policies use."""

from __future__ import annotations

import fnmatch
import json
import subprocess
from typing import Any

import pytest

from chalicelib.tables import ALL_MODELS
from tests.deploy.conftest import BIN, ROOT, STAGES, function_env, function_setting, load_policy, policy_file

CONFIG_ENV_OF_TABLE = {"members": "MEMBERS_TABLE", "accounts": "ACCOUNTS_TABLE", "audit": "AUDIT_TABLE",
                       "counters": "COUNTERS_TABLE", "ephemeral": "EPHEMERAL_TABLE",
                       "applications": "APPLICATIONS_TABLE", "uploads": "UPLOADS_TABLE"}


def _tables(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Template tables keyed by the models' table key (members, accounts, ...)."""
    found = {}
    for res in resources["Resources"].values():
        if res["Type"] == "AWS::DynamoDB::Table":
            name = res["Properties"]["TableName"]["Fn::Sub"]  # cpa-ecert-${Stage}-<key>
            found[name.rsplit("-", 1)[1]] = res
    return found


def _keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def _model_view(model: Any) -> dict[str, Any]:
    schema = model._get_schema()
    return {
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]},
        "keys": _keys(schema["key_schema"]),
        "gsis": {g["index_name"]: (_keys(g["key_schema"]), g["projection"]["ProjectionType"])
                 for g in schema["global_secondary_indexes"]},
        "lsis": {i["index_name"] for i in schema["local_secondary_indexes"]},
    }


def _template_view(table: dict[str, Any]) -> dict[str, Any]:
    props = table["Properties"]
    return {
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]},
        "keys": _keys(props["KeySchema"]),
        "gsis": {g["IndexName"]: (_keys(g["KeySchema"]), g["Projection"]["ProjectionType"])
                 for g in props.get("GlobalSecondaryIndexes", [])},
        "lsis": {i["IndexName"] for i in props.get("LocalSecondaryIndexes", [])},
    }


def test_template_declares_one_table_per_model(resources):
    assert set(_tables(resources)) == set(ALL_MODELS)


@pytest.mark.parametrize("key", sorted(ALL_MODELS))
def test_table_matches_its_pynamodb_model(resources, key):
    """Keys, attribute types, GSI names, keys and projections exactly as models.py declares."""
    assert _template_view(_tables(resources)[key]) == _model_view(ALL_MODELS[key])


def test_tables_are_on_demand_encrypted_and_recoverable(resources):
    for key, table in _tables(resources).items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"]["SSEEnabled"] is True
        if key == "ephemeral":
            continue  # minutes-long secrets: nothing worth restoring
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["DeletionPolicy"] == "RetainExceptOnCreate"
        assert table["UpdateReplacePolicy"] == "Retain"
        assert props["DeletionProtectionEnabled"] == {"Fn::If": ["ProtectTables", True, False]}


def test_a_failed_first_create_leaves_nothing_behind(resources):
    """Resources with fixed names block a retry if a rolled-back first create keeps them
    ("already exists"): whatever is retained is retained except on create."""
    for name, res in resources["Resources"].items():
        if "DeletionPolicy" in res or "UpdateReplacePolicy" in res:
            assert res.get("DeletionPolicy") == "RetainExceptOnCreate", name
            assert res.get("UpdateReplacePolicy") == "Retain", name
    # deletion protection would block that rollback: it is a parameter, off for the first create
    param = resources["Parameters"]["TableDeletionProtection"]
    assert param["AllowedValues"] == ["true", "false"]
    assert resources["Conditions"]["ProtectTables"]["Fn::And"][0] == {"Condition": "IsProd"}


def test_ephemeral_table_expires_items_by_expires_at(resources):
    from chalicelib.auth.models import EphemeralModel

    ttl = _tables(resources)["ephemeral"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    assert type(EphemeralModel.expires_at).__name__ == "TTLAttribute"


@pytest.mark.parametrize("stage", STAGES)
def test_template_names_are_the_stage_config_names(resources, chalice_config, stage):
    """What the template creates is what the functions are configured to use (way b before
    record_outputs.py runs, and the names the IAM policies allow)."""
    env = function_env(chalice_config, stage, "api_handler")
    for key, table in _tables(resources).items():
        assert table["Properties"]["TableName"]["Fn::Sub"].replace("${Stage}", stage) == env[CONFIG_ENV_OF_TABLE[key]]
    res = resources["Resources"]
    assert res["PhotoQueue"]["Properties"]["QueueName"]["Fn::Sub"].replace("${Stage}", stage) == env["PHOTO_QUEUE"]
    bucket = res["PhotoBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    assert bucket == "cpa-ecert-${Stage}-photos-${AWS::AccountId}"
    assert fnmatch.fnmatchcase(env["PHOTO_BUCKET"], f"cpa-ecert-{stage}-photos-*")
    for output, var in (("TokenKeyParam", "TOKEN_KEY_PARAM"), ("VerifyKeyParam", "VERIFY_KEY_PARAM"),
                        ("SigningKeyPemParam", "SIGNING_KEY_PEM_PARAM"),
                        ("SigningCertPemParam", "SIGNING_CERT_PEM_PARAM")):
        assert resources["Outputs"][output]["Value"]["Fn::Sub"].replace("${Stage}", stage) == env[var]


def test_photo_bucket_is_private_versioned_and_expires_what_it_should(resources):
    props = resources["Resources"]["PhotoBucket"]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    rules = {r.get("Prefix"): r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["uploads/"]["ExpirationInDays"] == {"Ref": "UploadRetentionDays"}
    assert rules["certificates/"]["ExpirationInDays"] == 30
    # the photo auto-fix's staged input (chalicelib/photo/prepare_function.py): gone within a day
    # even when photo_prepare failed before deleting it, old versions included
    assert rules["prepare/"]["ExpirationInDays"] == 1
    assert rules["prepare/"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    for kept in ("photos/", "reference/", "seals/"):
        assert "ExpirationInDays" not in rules[kept], f"current {kept} objects must never expire"
        assert rules[kept]["NoncurrentVersionExpiration"] == {"NoncurrentDays": {"Ref": "PhotoVersionRetentionDays"}}
    # job files (chunk outputs, results, import files) go once no job lists them: jobs and their
    # items live a week (chalicelib/jobs/repository.py TTL)
    from chalicelib.jobs.repository import TTL

    assert rules["jobs/"]["ExpirationInDays"] == TTL.days == 7
    assert rules["jobs/"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rules[None]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}  # every prefix
    assert all(r["Status"] == "Enabled" for r in rules.values())
    # the upload policy allows POST from the site's origin only
    cors = props["CorsConfiguration"]["CorsRules"][0]
    assert "POST" in cors["AllowedMethods"] and "*" not in json.dumps(cors["AllowedOrigins"])


@pytest.mark.parametrize("stack", ["stack.json", "stack-cn.json"])
def test_both_merged_stacks_keep_the_photo_bucket_lifecycle(resources, stack):
    merged = json.loads((ROOT / "infra" / stack).read_text())
    assert (merged["Resources"]["PhotoBucket"]["Properties"]["LifecycleConfiguration"]
            == resources["Resources"]["PhotoBucket"]["Properties"]["LifecycleConfiguration"])


def test_uploads_notify_the_photo_queue_which_has_a_dead_letter_queue(resources, chalice_config):
    res = resources["Resources"]
    notification = res["PhotoBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert len(notification) == 1
    assert notification[0]["Event"] == "s3:ObjectCreated:*"
    assert notification[0]["Queue"] == {"Fn::GetAtt": ["PhotoQueue", "Arn"]}
    assert {"Name": "prefix", "Value": "uploads/"} in notification[0]["Filter"]["S3Key"]["Rules"]
    assert "PhotoQueuePolicy" in res["PhotoBucket"]["DependsOn"]  # S3 checks the permission
    statement = res["PhotoQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert "aws:SourceArn" in statement["Condition"]["ArnEquals"]
    queue = res["PhotoQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["PhotoDeadLetterQueue", "Arn"]}
    for stage in STAGES:  # Lambda wants the visibility timeout >= the function timeout (x6 advised)
        assert queue["VisibilityTimeout"] >= 6 * function_setting(chalice_config, stage, "photo_check", "lambda_timeout")
        jobs = res["JobsQueue"]["Properties"]["VisibilityTimeout"]
        assert jobs >= 6 * function_setting(chalice_config, stage, "job_worker", "lambda_timeout")
    alarm = res["DeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["PhotoDeadLetterQueue", "QueueName"]}
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_site_is_served_by_cloudfront_from_a_private_bucket(resources):
    res = resources["Resources"]
    assert all(res["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"].values())
    assert "WebsiteConfiguration" not in res["SiteBucket"]["Properties"]
    dist = res["SiteDistribution"]["Properties"]["DistributionConfig"]
    assert dist["Origins"][0]["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    grant = res["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in grant["Condition"]["StringEquals"]


def test_resources_template_lints_clean():
    run = subprocess.run([str(BIN / "cfn-lint"), str(ROOT / "infra" / "resources.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_stack_json_is_built_from_the_current_sources(build_stack):
    """infra/stack.json is generated: it must equal what resources.yaml + the overlay give."""
    assert (ROOT / "infra" / "stack.json").read_text(encoding="utf-8") == build_stack.render(), \
        "run: python infra/build_stack.py"
    assert (ROOT / "infra" / "stack-cn.json").read_text(encoding="utf-8") == build_stack.render_china(), \
        "run: python infra/build_stack.py"


def test_merge_patch_replaces_intrinsics_whole_and_deletes_nulls(build_stack):
    target = {"A": {"Fn::If": ["C", "x", "y"]}, "B": {"k": 1, "l": 2}, "L": [1, 2]}
    patch = {"A": {"IamCertificateId": "z"}, "B": {"k": None, "m": 3}, "L": [3]}
    assert build_stack.merge_patch(target, patch) == {"A": {"IamCertificateId": "z"}, "B": {"l": 2, "m": 3}, "L": [3]}
    with pytest.raises(ValueError, match="deletes"):
        build_stack.merge_patch({"a": 1}, {"b": None})


def test_china_stack_uses_what_the_china_regions_offer():
    stack = json.loads((ROOT / "infra" / "stack-cn.json").read_text(encoding="utf-8"))
    types = {r["Type"] for r in stack["Resources"].values() if "Type" in r}
    assert not types & {"AWS::CloudFront::OriginAccessControl", "AWS::CloudFront::Function",
                        "AWS::SES::EmailIdentity"}
    assert "AWS::CloudFront::CloudFrontOriginAccessIdentity" in types
    dist = stack["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    assert set(dist["ViewerCertificate"]) == {"IamCertificateId", "SslSupportMethod", "MinimumProtocolVersion"}
    assert dist["Aliases"] == [{"Ref": "SiteDomainName"}]
    assert "FunctionAssociations" not in json.dumps(dist)
    site = next(o for o in dist["Origins"] if o["Id"] == "site")
    assert "OriginAccessControlId" not in site and site["S3OriginConfig"]["OriginAccessIdentity"]
    # the API shares the ICP-filed domain, uncached, with the token forwarded
    api = next(b for b in dist["CacheBehaviors"] if b["PathPattern"] == "/api/*")
    assert api["DefaultTTL"] == 0 and "Authorization" in api["ForwardedValues"]["Headers"]
    assert "Host" not in api["ForwardedValues"]["Headers"]
    # the domain and the certificate are required: no default, non-empty
    params = stack["Parameters"]
    for name in ("SiteDomainName", "SiteIamCertificateId"):
        assert "Default" not in params[name] and params[name]["MinLength"] == 1
    assert "SiteCertificateArn" not in params and "MailDomain" not in params
    assert params["Stage"]["AllowedValues"] == ["prod-cn"]
    assert stack["Outputs"]["SiteURL"]["Value"]["Fn::If"][1] == {"Fn::Sub": "https://${SiteDomainName}"}


def test_china_stack_attaches_the_face_layer_only_where_faces_are_compared():
    stack = json.loads((ROOT / "infra" / "stack-cn.json").read_text(encoding="utf-8"))
    res = stack["Resources"]
    layer = res["FaceLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.11"]
    with_face = {name for name, r in res.items() if {"Ref": "FaceLayer"} in r.get("Properties", {}).get("Layers", [])}
    # not the API: the photo auto-fix runs in photo_prepare (docs/deploy.md, "The face layer")
    assert with_face == {"PhotoCheck", "PhotoPrepare"}
    assert res["PhotoPrepare"]["Properties"]["Layers"] == [{"Ref": "ManagedLayer"}, {"Ref": "FaceLayer"}]
    assert "FaceLayer" not in json.dumps(json.loads((ROOT / "infra" / "stack.json").read_text()))


def test_overlay_only_refines_chalice_resources_or_adds_its_own(build_stack, overlay, resources):
    own = set(resources["Resources"])
    for name, res in overlay["Resources"].items():
        assert name not in own
        if name in build_stack.CHALICE_IDS:
            assert "Type" not in res, f"{name}: a Type would replace Chalice's resource"
        else:
            assert "Type" in res


def test_policies_name_the_resources_the_template_creates(resources, chalice_config):
    """Every table, the queue and the bucket prefixes appear in some stage policy (with the
    stage's names), so a renamed resource cannot silently lose its permissions."""
    for stage in STAGES:
        texts = " ".join(json.dumps(load_policy(policy_file(chalice_config, stage, fn)))
                         for fn in ("api_handler", "photo_check", "token_authorizer"))
        for key in ALL_MODELS:
            assert f"table/cpa-ecert-{stage}-{key}" in texts
        assert f"cpa-ecert-{stage}-photo-checks" in texts
        for prefix in ("uploads/", "photos/", "reference/", "certificates/", "seals/"):
            assert f"cpa-ecert-{stage}-photos-*/{prefix}*" in texts


FUNCTION_NAMES = {"api_handler": "cpa-ecert-${Stage}", "photo_check": "cpa-ecert-${Stage}-photo_check",
                  "photo_prepare": "cpa-ecert-${Stage}-photo_prepare",
                  "token_authorizer": "cpa-ecert-${Stage}-token_authorizer",
                  "job_worker": "cpa-ecert-${Stage}-job_worker",
                  "job_dead_letters": "cpa-ecert-${Stage}-job_dead_letters"}


def _alarms(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]


def _alarm(resources: dict[str, Any], namespace: str, metric: str, dimension: Any) -> dict[str, Any]:
    found = [a for a in _alarms(resources) if a["Namespace"] == namespace and a["MetricName"] == metric
             and dimension in [d["Value"] for d in a["Dimensions"]]]
    assert len(found) == 1, (namespace, metric, dimension)
    return found[0]


def test_every_failure_path_has_an_alarm_in_both_ways_of_deploying(resources, chalice_config):
    """The alarms live in resources.yaml, which both ways deploy (way a through stack.json)."""
    _alarm(resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["PhotoDeadLetterQueue", "QueueName"]})
    _alarm(resources, "AWS/ApiGateway", "5XXError", {"Fn::Sub": "cpa-ecert-${Stage}"})
    for fn, name in FUNCTION_NAMES.items():
        _alarm(resources, "AWS/Lambda", "Throttles", {"Fn::Sub": name})
        _alarm(resources, "AWS/Lambda", "Errors", {"Fn::Sub": name})
        near = _alarm(resources, "AWS/Lambda", "Duration", {"Fn::Sub": name})
        for stage in STAGES:  # 80 % of the configured timeout, in milliseconds
            assert near["Threshold"] == 800 * function_setting(chalice_config, stage, fn, "lambda_timeout"), fn
    # a job failed by its dead-lettered message (the handler empties that queue, so no queue alarm)
    dead = next(a for a in _alarms(resources) if a["MetricName"] == "JobsFailed")
    assert dead["Namespace"] == {"Fn::Sub": "cpa-ecert-${Stage}"} and dead["Threshold"] == 0
    # "could not check" is a metric the authorizer publishes (EMF) in the stage's namespace
    failed = next(a for a in _alarms(resources) if a["MetricName"] == "AuthorizerCheckFailed")
    assert failed["Namespace"] == {"Fn::Sub": "cpa-ecert-${Stage}"}
    for stage in STAGES:
        env = function_env(chalice_config, stage, "token_authorizer")
        assert failed["Namespace"]["Fn::Sub"].replace("${Stage}", stage) == env["POWERTOOLS_METRICS_NAMESPACE"]
        assert failed["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in _alarms(resources))


def test_the_overlay_adds_tracing_json_logs_and_no_extra_api_stage(overlay):
    globals_ = overlay["Globals"]
    assert globals_["Function"]["LoggingConfig"]["LogFormat"] == "JSON"
    assert globals_["Api"]["OpenApiVersion"] == "3.0.1"
    assert overlay["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is True


def test_the_jobs_dead_letter_queue_feeds_its_handler(resources, overlay, chalice_config):
    """A job message that failed every delivery fails its job (chalicelib/jobs/worker.py)."""
    from chalicelib import config

    res = resources["Resources"]
    assert res["JobsQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}
    fn = overlay["Resources"]["JobDeadLetters"]["Properties"]
    assert fn["Events"]["JobDeadLettersSqsEventSource"]["Properties"]["Queue"] == {
        "Fn::Sub": "${JobsDeadLetterQueue.Arn}"}
    for stage in STAGES:
        env = function_env(chalice_config, stage, "job_dead_letters")
        dlq = res["JobsDeadLetterQueue"]["Properties"]["QueueName"]["Fn::Sub"].replace("${Stage}", stage)
        assert config.jobs_dead_letter_queue_name(env) == dlq  # what `chalice deploy` subscribes
        assert policy_file(chalice_config, stage, "job_dead_letters") == f"policy-{stage}-job-dead-letters.json"


def test_the_job_workers_sqs_source_stays_within_the_reserved_concurrency(overlay, chalice_config):
    """The event source ignores the function's reserved concurrency: uncapped, its pollers take
    messages that throttled invocations give back, each a receive towards the dead letters."""
    source = overlay["Resources"]["JobWorker"]["Properties"]["Events"]["JobWorkerSqsEventSource"]["Properties"]
    cap = source["ScalingConfig"]["MaximumConcurrency"]
    for stage in STAGES:
        assert cap == function_setting(chalice_config, stage, "job_worker", "reserved_concurrency"), stage

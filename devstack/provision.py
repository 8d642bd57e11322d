"""Create the AWS resources the app needs on the moto server (or in an in-process moto mock).

Mirrors infra/ in miniature: the tables come from the PynamoDB models themselves, the photo
bucket is private and versioned with CORS for presigned POSTs, and its ObjectCreated events on
uploads/ go to an SQS queue that has a dead-letter queue; the jobs queue has one too.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import aws, db, tables
from chalicelib.config import Settings


def provision(settings: Settings) -> dict[str, str]:
    db.bind(settings)
    tables.create_tables()
    s3: Any = aws.client("s3", settings.region)
    sqs: Any = aws.client("sqs", settings.region)
    ses: Any = aws.client("ses", settings.region)

    bucket = settings.photo_bucket
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    origin = "/".join(settings.site_url.split("/")[:3])
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [origin], "AllowedMethods": ["POST"], "AllowedHeaders": ["*"],
        "MaxAgeSeconds": 600}]})

    dlq_url = sqs.create_queue(QueueName=f"{settings.photo_queue}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=settings.photo_queue, Attributes={
        "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{
            "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
        }]})
    ses.verify_email_identity(EmailAddress=settings.mail_sender)
    jobs_dlq_url = sqs.create_queue(QueueName=f"{settings.jobs_queue}-dlq")["QueueUrl"]
    jobs_dlq_arn = sqs.get_queue_attributes(QueueUrl=jobs_dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    # As in the cloud (infra/resources.yaml): six times the job worker's 900 s. A shorter one
    # hands a long step (the plan of a 60,000-row import) to a second worker while the first
    # is still on it.
    jobs_queue_url = sqs.create_queue(QueueName=settings.jobs_queue, Attributes={
        "VisibilityTimeout": "5400",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": jobs_dlq_arn, "maxReceiveCount": "5"}),
    })["QueueUrl"]
    return {"queue_url": queue_url, "dlq_url": dlq_url, "jobs_queue_url": jobs_queue_url,
            "jobs_dlq_url": jobs_dlq_url}

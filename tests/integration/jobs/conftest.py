"""Drive the job worker the way Lambda does: receive from the jobs queue, call the handler with
an SQS event, delete the message on success, leave it for redelivery on failure."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any, Callable

import pytest


class Ctx:
    function_name = "test-job_worker"
    memory_limit_in_mb = 1536
    aws_request_id = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def sqs_event(body: str, arn: str) -> dict[str, Any]:
    return {"Records": [{"messageId": uuid.uuid4().hex, "receiptHandle": "rh", "body": body, "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": arn, "awsRegion": "us-east-1"}]}


class Worker:
    def __init__(self, d: Any) -> None:
        from chalicelib import aws

        self.sqs = aws.client("sqs", d.settings.region)
        self.url = self.sqs.get_queue_url(QueueName=d.settings.jobs_queue)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.failures = 0
        self.delivered: list[dict[str, Any]] = []

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                        VisibilityTimeout=30).get("Messages", [])

    def deliver(self, msg: dict[str, Any]) -> bool:
        import app as app_module

        self.delivered.append(json.loads(msg["Body"]))
        try:
            app_module.job_worker(sqs_event(msg["Body"], self.arn), Ctx())
        except BaseException:  # an error, or the invocation killed (SystemExit in the tests)
            self.failures += 1
            # what the visibility timeout does: the message comes back
            self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=msg["ReceiptHandle"],
                                               VisibilityTimeout=0)
            return False
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=msg["ReceiptHandle"])
        return True

    def drain(self, limit: int = 10_000, only: Callable[[dict[str, Any]], bool] | None = None) -> int:
        handled = 0
        while handled < limit:
            msgs = self.receive()
            if not msgs:
                return handled
            for msg in msgs:
                if only is not None and not only(json.loads(msg["Body"])):
                    self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=msg["ReceiptHandle"],
                                                       VisibilityTimeout=0)
                    continue
                self.deliver(msg)
                handled += 1
            if only is not None and all(not only(json.loads(m["Body"])) for m in msgs):
                return handled
        return handled


@pytest.fixture()
def worker(aws: Any) -> Worker:
    return Worker(aws)


def seed_members(association: str, count: int, *, seed: int = 3) -> list[str]:
    """`count` members written with batch writes (fast), numbers association + 000001..."""
    from chalicelib import batch
    from chalicelib.members.models import MemberModel
    from chalicelib.members.validation import is_complete
    from devstack.fake import person

    rng = random.Random(seed)
    items = []
    for i in range(1, count + 1):
        no = f"{association}{i:06d}"
        profile = person(rng, association, complete=True)
        items.append(MemberModel(no, association=association, name=profile["name"], profile=profile,
                                 id_key=MemberModel.make_id_key(profile["id_type"], profile["id_number"]),
                                 complete=is_complete(profile), status="active", photo_status="none",
                                 failed_attempts=0, created_at="2026-01-01T00:00:00.000Z",
                                 updated_at="2026-01-01T00:00:00.000Z", version=1))
    batch.batch_put(items)
    return [m.member_no for m in items]


def fetch(url: str) -> bytes:
    """The object behind a presigned link (read with the S3 client: the link's host is AWS's)."""
    from urllib.parse import unquote, urlparse

    from chalicelib import aws

    parsed = urlparse(url)
    bucket = parsed.netloc.split(".")[0]
    s3 = aws.client("s3", "us-east-1")
    return bytes(s3.get_object(Bucket=bucket, Key=unquote(parsed.path.lstrip("/")))["Body"].read())


@pytest.fixture()
def with_photo(aws: Any, make_member: Any) -> Any:
    from tests.conftest import FACES

    def _make(association: str = "110000", photo: str = "hopper_01", **kw: Any) -> Any:
        m = make_member(association, **kw)
        key = f"photos/{m.member_no}.jpg"
        version = aws.photos.put(key, (FACES / "spec_white" / f"{photo}.jpg").read_bytes())
        m.refresh()
        m.photo_key, m.photo_version_id, m.photo_status = key, version, "accepted"
        m.save()
        return m

    return _make

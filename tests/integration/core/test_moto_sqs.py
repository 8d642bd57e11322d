"""devstack/moto_sqs.py: a queue's scans read the clock once; the same messages are visible, in
flight, delayed, received and expired as with stock moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.fits import fit_moto
from devstack.moto_sqs import STOCK

REGION = "us-east-1"


def _backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    return sqs_backends[DEFAULT_ACCOUNT_ID][REGION]


def _stock_view(queue: Any) -> tuple[list[Any], int, int]:
    return (STOCK["messages"].fget(queue), STOCK["delayed"].fget(queue), STOCK["not_visible"].fget(queue))


def _fitted_view(queue: Any) -> tuple[list[Any], int, int]:
    return (queue.messages, queue.approximate_number_of_messages_delayed,
            queue.approximate_number_of_messages_not_visible)


def test_visible_in_flight_and_delayed_messages_are_stock_motos() -> None:
    fit_moto()
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="fit-sqs")["QueueUrl"]
        for n in range(6):
            sqs.send_message(QueueUrl=url, MessageBody=f"now-{n}")
        for n in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"later-{n}", DelaySeconds=600)
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)["Messages"]
        assert len(got) == 2  # two in flight
        queue = _backend().get_queue("fit-sqs")
        assert type(queue).messages is not STOCK["messages"]  # the fit is in place
        assert _fitted_view(queue) == _stock_view(queue)
        messages, delayed, not_visible = _fitted_view(queue)
        assert (len(messages), delayed, not_visible) == (4, 3, 2)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesDelayed"],
                attributes["ApproximateNumberOfMessagesNotVisible"]) == ("4", "3", "2")
        # a message made visible again is received again, as with stock moto
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0)
        assert _fitted_view(queue) == _stock_view(queue) and len(queue.messages) == 5
        bodies = set()
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            bodies.update(m["Body"] for m in batch)
        assert bodies == {f"now-{n}" for n in range(6)} - {got[1]["Body"]}
        assert _fitted_view(queue) == _stock_view(queue)


@pytest.mark.parametrize("age_s, valid", [(0, True), (59, True), (61, False)])
def test_the_retention_period_check_gives_stock_motos_answer(age_s: int, valid: bool) -> None:
    fit_moto()
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="fit-sqs-retention", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="m")
        backend = _backend()
        (message,) = backend.get_queue("fit-sqs-retention")._messages
        message.sent_timestamp -= age_s * 1000
        fitted = backend.is_message_valid_based_on_retention_period("fit-sqs-retention", message)
        assert fitted is STOCK["retention"](backend, "fit-sqs-retention", message) is valid
        received = sqs.receive_message(QueueUrl=url).get("Messages", [])
        assert [m["Body"] for m in received] == (["m"] if valid else [])


def test_an_unknown_queue_is_motos_error() -> None:
    from moto.sqs.exceptions import QueueDoesNotExist

    fit_moto()
    with mock_aws():
        backend = _backend()
        with pytest.raises(QueueDoesNotExist):
            backend.is_message_valid_based_on_retention_period("absent", object())
        with pytest.raises(QueueDoesNotExist):
            STOCK["retention"](backend, "absent", object())

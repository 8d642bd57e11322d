"""The dispatcher fit (devstack/moto_dispatch.py) gives moto's own answer for every host."""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from devstack.moto_dispatch import fit_dispatch

HOSTS = [None, "moto_api", "instance_metadata", "dynamodb", "dynamodb_v20111205", "dynamodbstreams", "s3control",
         "sesv2", "s3.us-east-1.amazonaws.com", "s3.cn-north-1.amazonaws.com.cn", "bucket.s3.amazonaws.com",
         "sqs.us-east-1.amazonaws.com", "sqs.cn-northwest-1.amazonaws.com", "email.us-east-1.amazonaws.com",
         "ses.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "rekognition.us-east-1.amazonaws.com",
         "cloudwatch.us-east-1.amazonaws.com", "monitoring.us-east-1.amazonaws.com", "events.us-east-1.amazonaws.com",
         "127.0.0.1:5000", "localhost", "unknown.example.com", "nothing.amazonaws.com"]


def test_each_host_gets_moto_s_own_backend_before_and_after_it_is_kept() -> None:
    fit_dispatch()
    fitted = DomainDispatcherApplication.get_backend_for_host
    stock: Any = fitted.stock  # type: ignore[attr-defined]
    app = DomainDispatcherApplication(create_backend_app)
    expected = {host: stock(app, host) for host in HOSTS}
    assert expected["dynamodb"] == "dynamodb" and expected["s3.us-east-1.amazonaws.com"] == "s3"
    assert expected["sqs.us-east-1.amazonaws.com"] == "sqs"
    for _ in range(2):  # first found, then kept
        assert {host: fitted(app, host) for host in HOSTS} == expected


def test_fitting_twice_keeps_one_layer() -> None:
    fit_dispatch()
    once = DomainDispatcherApplication.get_backend_for_host
    fit_dispatch()
    assert DomainDispatcherApplication.get_backend_for_host is once


def test_each_handler_class_lists_moto_s_own_action_methods() -> None:
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.responses import S3Response
    from moto.sqs.responses import SQSResponse

    fit_dispatch()
    fitted = responses.method_names_from_class
    stock: Any = fitted.stock  # type: ignore[attr-defined]
    for cls in (DynamoHandler, S3Response, SQSResponse, DynamoHandler):  # found, then kept
        assert fitted(cls) == stock(cls) and "batch_write_item" in fitted(DynamoHandler)

    class Handler(SQSResponse):
        pass

    before = fitted(Handler)
    Handler.added_action = lambda self: None  # type: ignore[attr-defined]
    assert fitted(Handler) == stock(Handler) == sorted([*before, "added_action"])

"""devstack/moto_gc.py: after a full collection, the moto server's next request freezes what the
collector kept; answers do not change, and reference counting still frees dropped items."""

from __future__ import annotations

import gc
import json
import weakref
from typing import Any

from werkzeug.test import Client

from devstack.fits import fit_moto


def _call(app: Any, target: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = Client(app).post("/", data=json.dumps(body), headers={
        "X-Amz-Target": f"DynamoDB_20120810.{target}", "Content-Type": "application/x-amz-json-1.0",
        "Host": "dynamodb.us-east-1.amazonaws.com",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=x"})
    return response.status_code, json.loads(response.get_data(as_text=True) or "null")


class _Box:
    pass


def test_the_server_freezes_what_a_full_collection_kept_and_answers_as_before() -> None:
    from moto import mock_aws
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from devstack import moto_gc

    fit_moto()
    assert moto_gc._after_collection in gc.callbacks
    app = DomainDispatcherApplication(create_backend_app)
    table = {"TableName": "fit-gc", "BillingMode": "PAY_PER_REQUEST",
             "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    item = {"pk": {"S": "a"}, "m": {"M": {"n": {"N": "1"}}}}
    with mock_aws():
        try:
            assert _call(app, "CreateTable", table)[0] == 200
            assert _call(app, "PutItem", {"TableName": "fit-gc", "Item": item})[0] == 200
            kept = _Box()  # kept alive through the freeze, then dropped
            ref = weakref.ref(kept)
            gc.collect()
            frozen = gc.get_freeze_count()
            assert moto_gc._DUE[0]  # due after the full collection ...
            assert _call(app, "GetItem", {"TableName": "fit-gc", "Key": {"pk": {"S": "a"}}}) == (200, {"Item": item})
            assert not moto_gc._DUE[0] and gc.get_freeze_count() > frozen  # ... done by the next request
            del kept  # reference counting frees a frozen object as before
            assert ref() is None
            assert _call(app, "PutItem", {"TableName": "fit-gc", "Item": {"pk": {"S": "a"}}})[0] == 200
            assert _call(app, "GetItem", {"TableName": "fit-gc", "Key": {"pk": {"S": "a"}}}) == (
                200, {"Item": {"pk": {"S": "a"}}})
            # and errors are moto's
            status, error = _call(app, "GetItem", {"TableName": "absent", "Key": {"pk": {"S": "a"}}})
            assert status == 400 and "ResourceNotFoundException" in error["__type"]
        finally:
            gc.unfreeze()

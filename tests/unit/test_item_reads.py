"""Items read directly (chalicelib/item_reads.py) are exactly what botocore's own parse gives."""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.session
from botocore.parsers import create_parser

from chalicelib import item_reads

B64 = base64.b64encode(b"\x00\xffbin").decode()
ITEM = {"pk": {"S": "a"}, "s": {"S": "中文 & <x> \"q\" \\ \u0001"}, "empty": {"S": ""}, "n": {"N": "-12.50"},
        "t": {"BOOL": True}, "f": {"BOOL": False}, "null": {"NULL": True}, "b": {"B": B64},
        "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [B64, ""]},
        "m": {"M": {"k": {"S": "v"}, "deep": {"M": {"b": {"B": B64}, "l": {"L": [{"N": "1"}, {"NULL": True}]}}},
                    "em": {"M": {}}, "el": {"L": []}}},
        "l": {"L": [{"S": "x"}, {"M": {"q": {"BOOL": False}}}, {"L": [{"SS": ["z"]}]}, {"B": B64}]}}
KEY = {"pk": {"S": "a"}, "b": {"B": B64}}


def _model() -> Any:
    return botocore.session.get_session().get_service_model("dynamodb")


def _parse(operation: str, body: dict[str, Any], direct: bool) -> Any:
    op = _model().operation_model(operation)
    response = {"status_code": 200, "headers": {"x-amzn-requestid": "r1"}, "body": json.dumps(body).encode()}
    custom: dict[str, Any] = {}
    if direct:
        item_reads._before_parse(response_dict=response, customized_response_dict=custom)
    parsed = create_parser("json").parse(response, op.output_shape)
    parsed.update(custom)
    return parsed, custom


def test_batch_get_query_and_scan_read_as_botocore_reads_them() -> None:
    bodies = {
        "BatchGetItem": {"Responses": {"t1": [ITEM, {"pk": {"S": "b"}}], "t2": []},
                         "UnprocessedKeys": {"t1": {"Keys": [KEY], "ProjectionExpression": "#a"}},
                         "ConsumedCapacity": [{"TableName": "t1", "CapacityUnits": 1.5}]},
        "Query": {"Items": [ITEM, ITEM], "Count": 2, "ScannedCount": 5, "LastEvaluatedKey": KEY},
        "Scan": {"Items": [], "Count": 0, "ScannedCount": 0},
    }
    for operation, body in bodies.items():
        stock, _ = _parse(operation, body, direct=False)
        ours, taken = _parse(operation, body, direct=True)
        assert taken, operation  # the items were read directly
        assert ours == stock, operation
    assert stock is not None


def test_anything_unusual_is_left_to_botocore() -> None:
    for odd in ({"pk": {"X": "?"}}, {"pk": {"S": 1}}, {"pk": {"S": "a", "N": "1"}}, {"pk": {"NULL": "yes"}}):
        body = {"Items": [ITEM, odd], "Count": 2, "ScannedCount": 2}
        ours, taken = _parse("Query", body, direct=True)
        stock, _ = _parse("Query", body, direct=False)
        assert taken == {} and ours == stock
    # an error answer is botocore's to read
    response = {"status_code": 400, "headers": {}, "body": b'{"__type": "x#ValidationException", "message": "m"}'}
    custom: dict[str, Any] = {}
    item_reads._before_parse(response_dict=response, customized_response_dict=custom)
    assert custom == {} and response["body"].startswith(b'{"__type"')


def test_registered_once_on_a_client() -> None:
    client = botocore.session.get_session().create_client("dynamodb", region_name="us-east-1",
                                                          aws_access_key_id="x", aws_secret_access_key="y")
    item_reads.read_items_directly(client)
    item_reads.read_items_directly(client)
    handlers = [h for h in client.meta.events._emitter._handlers.prefix_search("before-parse.dynamodb.Query")]
    assert handlers.count(item_reads._before_parse) == 1

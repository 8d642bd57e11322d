"""devstack/moto_dynamodb.py gives moto DynamoDB's cost model without changing any answer:
responses byte for byte moto's own, index queries that see every write, the same item limit."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.core.moto_tables import create_fit_table

ITEMS = [
    {"pk": {"S": "a"}, "grp": {"S": "g1"}, "s": {"S": "中文 & <x> \"q\" \\ \u0001"}, "empty": {"S": ""},
     "n": {"N": "-12.50"}, "t": {"BOOL": True}, "f": {"BOOL": False}, "null": {"NULL": True},
     "b": {"B": b"\x00\xffbin"}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]},
     "bs": {"BS": [b"\x01", b"\x02\x03"]}},
    {"pk": {"S": "b"}, "grp": {"S": "g1"},
     "m": {"M": {"k": {"S": "v"}, "deep": {"M": {"b": {"B": b"\x10"}, "l": {"L": [{"N": "1"}, {"NULL": True}]}}},
                 "em": {"M": {}}, "el": {"L": []}}},
     "l": {"L": [{"S": "x"}, {"M": {"q": {"BOOL": False}}}, {"L": [{"SS": ["z"]}]}, {"B": b"\x7f"}]}},
]


@pytest.fixture()
def table(aws: Any) -> Any:
    from chalicelib import aws as aws_clients

    client = aws_clients.client("dynamodb", aws.settings.region)
    name = "fit-test"
    create_fit_table(client, name)
    try:
        yield client, name
    finally:
        client.delete_table(TableName=name)


def _bodies(operation: str, result: dict[str, Any]) -> tuple[str, str]:
    """(moto's own serializer, the fitted one) on the same result."""
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model

    op = get_service_model("dynamodb").operation_model(operation)
    fitted = get_serializer_class("dynamodb", "json")
    assert fitted is not JSONSerializer  # the fit is installed (tests/conftest.py, as devstack)
    out = []
    for cls in (JSONSerializer, fitted):
        ser = cls(operation_model=op, pretty_print=False, value_picker=XFormedAttributePicker())
        out.append(ser.serialize(result)["body"])
    return out[0], out[1]


def test_responses_are_byte_for_byte_motos_own(table: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    client, name = table
    for item in ITEMS:
        client.put_item(TableName=name, Item=item)
    stored = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)
    items = [stored.get_item(DynamoType({"S": k})).to_json()["Attributes"] for k in ("a", "b")]
    for operation, result in (
        ("Query", {"Items": items, "Count": 2, "ScannedCount": 2, "LastEvaluatedKey": {"pk": {"S": "b"}}}),
        ("GetItem", {"Item": items[1]}),
        ("BatchGetItem", {"Responses": {name: items}, "UnprocessedKeys": {}}),
        ("Scan", {"Items": items, "Count": 2, "ScannedCount": 2}),
    ):
        stock, fitted = _bodies(operation, result)
        assert fitted == stock, operation
    # and through the API, every value comes back as it went in
    got = client.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]}})
    back = {i["pk"]["S"]: i for i in got["Responses"][name]}
    assert back["b"]["m"] == ITEMS[1]["m"] and back["b"]["l"] == ITEMS[1]["l"]
    assert back["a"]["b"] == ITEMS[0]["b"] and back["a"]["s"] == ITEMS[0]["s"] and back["a"]["null"] == {"NULL": True}


def test_kept_write_responses_are_motos_own_each_time(table: Any) -> None:
    """Small write responses (UpdateItem's too) are serialised once and handed out again: the
    same bytes as moto's own serializer every time, each caller getting its own copy."""
    from moto.core.serialize import XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model

    _, name = table
    capacity = {"ConsumedCapacity": {"TableName": name, "CapacityUnits": 0.5}}
    for operation, result in (
        ("UpdateItem", capacity),
        ("UpdateItem", {"Attributes": {"pk": {"S": "a"}, "n": {"N": "2"}}, **capacity}),
        ("UpdateItem", {"Attributes": {"pk": {"S": "a"}, "n": {"N": "3"}}, **capacity}),
        ("PutItem", capacity),
    ):
        stock, fitted = _bodies(operation, result)
        again_stock, again = _bodies(operation, result)  # the second from the kept responses
        assert fitted == stock == again == again_stock, operation
    op = get_service_model("dynamodb").operation_model("UpdateItem")
    serializer = get_serializer_class("dynamodb", "json")
    first = serializer(operation_model=op, pretty_print=False, value_picker=XFormedAttributePicker()).serialize(capacity)
    first["headers"]["x-changed-by-caller"] = "1"
    second = serializer(operation_model=op, pretty_print=False, value_picker=XFormedAttributePicker()).serialize(capacity)
    assert "x-changed-by-caller" not in second["headers"]


def test_item_sizes_are_moto_s(table: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    from devstack import moto_dynamodb

    (moto_size,) = moto_dynamodb._MOTO_SIZE
    for item in ITEMS:
        for value in item.values():
            typed = DynamoType(value)
            assert moto_dynamodb.dynamo_size(typed) == moto_size(typed), value
    whole = DynamoType({"M": {k: v for item in ITEMS for k, v in item.items()}})
    assert moto_dynamodb.dynamo_size(whole) == moto_size(whole) > 50


def _group(client: Any, name: str, grp: str, page: int = 2) -> list[str]:
    keys, start = [], None
    while True:
        kw: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        r = client.query(TableName=name, IndexName="by_grp", KeyConditionExpression="grp = :g",
                         ExpressionAttributeValues={":g": {"S": grp}}, Limit=page, **kw)
        keys += [i["pk"]["S"] for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            return keys


def test_index_queries_page_in_order_and_see_every_write(table: Any) -> None:
    client, name = table
    for n in (5, 1, 4, 2, 3):
        client.put_item(TableName=name, Item={"pk": {"S": f"k{n}"}, "grp": {"S": "g1"}, "v": {"N": str(n)}})
    client.put_item(TableName=name, Item={"pk": {"S": "other"}, "grp": {"S": "g2"}})
    assert _group(client, name, "g1") == ["k1", "k2", "k3", "k4", "k5"]
    # an update that moves an item to another partition, a delete, a batch put and a transaction
    client.update_item(TableName=name, Key={"pk": {"S": "k2"}}, UpdateExpression="SET grp = :g",
                       ExpressionAttributeValues={":g": {"S": "g2"}})
    assert _group(client, name, "g1") == ["k1", "k3", "k4", "k5"]
    assert _group(client, name, "g2") == ["k2", "other"]
    client.delete_item(TableName=name, Key={"pk": {"S": "k4"}})
    client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "k0"}, "grp": {"S": "g1"}}}}]})
    client.transact_write_items(TransactItems=[{"Put": {"TableName": name,
                                                        "Item": {"pk": {"S": "k9"}, "grp": {"S": "g1"}}}}])
    assert _group(client, name, "g1") == ["k0", "k1", "k3", "k5", "k9"]
    # a filter and a projection are still moto's own
    r = client.query(TableName=name, IndexName="by_grp", KeyConditionExpression="grp = :g",
                     FilterExpression="v > :n", ProjectionExpression="pk",
                     ExpressionAttributeValues={":g": {"S": "g1"}, ":n": {"N": "2"}})
    assert r["Items"] == [{"pk": {"S": "k3"}}, {"pk": {"S": "k5"}}] and r["ScannedCount"] == 5


def _scan_index(client: Any, name: str) -> list[str]:
    keys, start = [], None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        r = client.scan(TableName=name, IndexName="by_grp", Limit=2, **kw)
        keys += [(i["grp"]["S"], i["pk"]["S"]) for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            return keys


def test_index_scans_page_in_order_and_see_every_write(table: Any) -> None:
    client, name = table
    for n in (3, 1, 2):
        client.put_item(TableName=name, Item={"pk": {"S": f"k{n}"}, "grp": {"S": "g1"}})
    client.put_item(TableName=name, Item={"pk": {"S": "k0"}, "grp": {"S": "g2"}})
    first = _scan_index(client, name)
    assert sorted(first) == [("g1", "k1"), ("g1", "k2"), ("g1", "k3"), ("g2", "k0")]
    assert _scan_index(client, name) == first  # the kept sort pages the same way
    client.update_item(TableName=name, Key={"pk": {"S": "k2"}}, UpdateExpression="SET grp = :g",
                       ExpressionAttributeValues={":g": {"S": "g2"}})
    client.delete_item(TableName=name, Key={"pk": {"S": "k3"}})
    client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "k9"}, "grp": {"S": "g1"}}}}]})
    assert sorted(_scan_index(client, name)) == [("g1", "k1"), ("g1", "k9"), ("g2", "k0"), ("g2", "k2")]


def test_a_cancelled_transaction_changes_nothing(table: Any) -> None:
    client, name = table
    client.put_item(TableName=name, Item={"pk": {"S": "kept"}, "grp": {"S": "g1"}, "v": {"N": "1"}})
    client.put_item(TableName=name, Item={"pk": {"S": "gone"}, "grp": {"S": "g1"}})
    with pytest.raises(ClientError) as err:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "new"}, "grp": {"S": "g1"}}}},
            {"Update": {"TableName": name, "Key": {"pk": {"S": "kept"}}, "UpdateExpression": "SET v = :v, grp = :g",
                        "ExpressionAttributeValues": {":v": {"N": "2"}, ":g": {"S": "g2"}}}},
            {"Delete": {"TableName": name, "Key": {"pk": {"S": "gone"}}}},
            {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "absent"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in err.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert "Item" not in client.get_item(TableName=name, Key={"pk": {"S": "new"}})
    assert client.get_item(TableName=name, Key={"pk": {"S": "kept"}})["Item"]["v"] == {"N": "1"}
    assert "Item" in client.get_item(TableName=name, Key={"pk": {"S": "gone"}})
    assert _group(client, name, "g1") == ["gone", "kept"]
    # and one that succeeds applies every action
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "new"}, "grp": {"S": "g1"}}}},
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "gone"}}}},
    ])
    assert _group(client, name, "g1") == ["kept", "new"]


def test_the_item_size_limit_is_moto_s(table: Any) -> None:
    client, name = table
    client.put_item(TableName=name, Item={"pk": {"S": "ok"}, "a": {"S": "x" * 200_000}, "b": {"S": "y" * 200_000}})
    with pytest.raises(ClientError) as err:
        client.put_item(TableName=name, Item={"pk": {"S": "big"}, "a": {"S": "x" * 200_000},
                                              "b": {"S": "y" * 200_000}, "c": {"S": "z" * 10_000}})
    assert "Item size has exceeded the maximum allowed size" in str(err.value)


def _wire(value: Any) -> Any:
    """A value as it crosses the wire (binary base64-encoded)."""
    import base64

    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def test_requests_parse_as_moto_s_own(table: Any) -> None:
    import json

    from moto.core.parse import BaseJSONParser, JSONParser
    from moto.core.utils import get_service_model

    from devstack import moto_dynamodb

    moto_parse, moto_parse_map = moto_dynamodb._MOTO_PARSE
    assert BaseJSONParser._parse_structure is not moto_parse  # the fit is installed
    _, name = table
    model = get_service_model("dynamodb")
    odd = {"pk": {"S": "odd"}, "two": {"S": "x", "N": "1"}, "none": {"S": None}, "num": {"N": 5}, "empty": {}}
    requests = {
        "PutItem": {"TableName": name, "Item": _wire(ITEMS[0]), "ConditionExpression": "attribute_not_exists(pk)"},
        "BatchWriteItem": {"RequestItems": {name: [{"PutRequest": {"Item": _wire(i)}} for i in [*ITEMS, odd]]}},
        "TransactWriteItems": {"TransactItems": [{"Put": {"TableName": name, "Item": _wire(ITEMS[1]),
                                                          "ExpressionAttributeValues": {":v": {"SS": ["a"]}}}}]},
        "Query": {"TableName": name, "KeyConditionExpression": "grp = :g",
                  "ExpressionAttributeValues": {":g": {"S": "g1"}}, "ExclusiveStartKey": {"pk": {"S": "a"}}},
    }
    for operation, body in requests.items():
        request = {"method": "POST", "values": {}, "headers": {}, "body": json.dumps(body).encode(),
                   "url_path": "/", "url_params": {}}
        fitted = JSONParser(model.operation_model(operation)).parse(request)
        BaseJSONParser._parse_structure = moto_parse  # type: ignore[method-assign]
        BaseJSONParser._parse_map = moto_parse_map  # type: ignore[method-assign]
        try:
            stock = JSONParser(model.operation_model(operation)).parse(request)
        finally:
            moto_dynamodb._install_request_parser()
        assert repr(fitted) == repr(stock), operation  # the same values, types and key order


def test_conditions_parse_as_moto_s_own_and_decide_each_write(table: Any) -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    from devstack import moto_dynamodb

    (moto_parse,) = moto_dynamodb._MOTO_CONDITION_PARSE
    assert ConditionExpressionParser.parse is not moto_parse  # the fit is installed
    cases = [("attribute_not_exists(#0)", {"#0": "pk"}, {}),
             ("#n = :v AND (begins_with(#s, :p) OR size(#l) > :two)", {"#n": "n", "#s": "s", "#l": "l"},
              {":v": {"N": "1"}, ":p": {"S": "a"}, ":two": {"N": "2"}}),
             ("#n = :v", {"#n": "n"}, {":v": {"N": "2"}})]
    for expr, names, values in cases:
        for _ in range(2):  # the second parse is the kept one
            fitted = ConditionExpressionParser(expr, names, values)
            tree = fitted.parse()
            stock = ConditionExpressionParser(expr, names, values)
            assert repr(tree) == repr(moto_parse(stock)), expr
            assert (fitted.expr_attr_names_found, fitted.expr_attr_values_found) == \
                   (stock.expr_attr_names_found, stock.expr_attr_values_found)
    # the same condition, kept, still decides each write on its own item
    client, name = table
    for pk, n in (("c1", "1"), ("c2", "2")):
        client.put_item(TableName=name, Item={"pk": {"S": pk}, "n": {"N": n}})
    for pk, expected in (("c1", True), ("c2", False), ("c1", False)):
        try:
            client.put_item(TableName=name, Item={"pk": {"S": pk}, "n": {"N": "7"}},
                            ConditionExpression="#n = :v", ExpressionAttributeNames={"#n": "n"},
                            ExpressionAttributeValues={":v": {"N": "1"}})
            ok = True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
            ok = False
        assert ok is expected, pk


def _pages(client: Any, name: str, grp: str) -> list[int]:
    """The number of items on each page of the group (pages cut by the 1 MB limit alone)."""
    sizes, start = [], None
    while True:
        kw: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        r = client.query(TableName=name, IndexName="by_grp", KeyConditionExpression="grp = :g",
                         ExpressionAttributeValues={":g": {"S": grp}}, ReturnConsumedCapacity="TOTAL", **kw)
        assert r["ConsumedCapacity"]["TableName"] == name
        sizes.append(r["Count"])
        start = r.get("LastEvaluatedKey")
        if not start:
            return sizes


def test_kept_item_sizes_follow_every_write(table: Any) -> None:
    """Sizes are kept with the items between reads; each write path changes what a later page
    sees (moto cuts a page at 1 MB of items)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from devstack import moto_dynamodb

    client, name = table
    for n in range(5):
        client.put_item(TableName=name, Item={"pk": {"S": f"k{n}"}, "grp": {"S": "g"}, "a": {"S": "x" * 190_000}})
    assert _pages(client, name, "g") == [5]  # 950 KB: one page
    stored = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)
    k1 = stored.get_item(DynamoType({"S": "k1"}))
    assert k1.__dict__["_fit_size"][1] == k1.size() == sum(
        len(k.encode()) + moto_dynamodb._MOTO_SIZE[0](v) for k, v in k1.attrs.items())
    # an UpdateItem grows an item in place: 1.15 MB, two pages (the fifth item on the second)
    client.update_item(TableName=name, Key={"pk": {"S": "k1"}}, UpdateExpression="SET b = :b",
                       ExpressionAttributeValues={":b": {"S": "y" * 200_000}})
    assert _pages(client, name, "g") == [4, 1]
    # and shrinks it again, in a transaction
    client.transact_write_items(TransactItems=[{"Update": {
        "TableName": name, "Key": {"pk": {"S": "k1"}}, "UpdateExpression": "REMOVE b"}}])
    assert _pages(client, name, "g") == [5]
    # a put replaces an item (single, batch, transaction)
    client.put_item(TableName=name, Item={"pk": {"S": "k2"}, "grp": {"S": "g"}, "a": {"S": "x" * 390_000}})
    assert _pages(client, name, "g") == [4, 1]
    client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {
        "pk": {"S": "k2"}, "grp": {"S": "g"}, "a": {"S": "x"}}}}]})
    assert _pages(client, name, "g") == [5]
    client.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {
        "pk": {"S": "k2"}, "grp": {"S": "g"}, "a": {"S": "x" * 390_000}}}}])
    assert _pages(client, name, "g") == [4, 1]
    # an update refused by its condition changes nothing; a delete drops the item
    with pytest.raises(ClientError):
        client.update_item(TableName=name, Key={"pk": {"S": "k2"}}, UpdateExpression="SET b = :b",
                           ConditionExpression="attribute_not_exists(pk)",
                           ExpressionAttributeValues={":b": {"S": "y"}})
    assert _pages(client, name, "g") == [4, 1]
    client.delete_item(TableName=name, Key={"pk": {"S": "k4"}})
    assert _pages(client, name, "g") == [4]


def test_projections_are_moto_s(table: Any) -> None:
    """A projection of top-level names gives what moto's own gives (values, order, size), for
    every attribute type; BatchGetItem and GetItem with a ProjectionExpression too."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from devstack import moto_dynamodb

    client, name = table
    for item in ITEMS:
        client.put_item(TableName=name, Item=item)
    client.put_item(TableName=name, Item={"pk": {"S": "c"}, "m": {"M": {"a": {"S": "x"}, "n": {"NULL": True},
                                                                         "l": {"L": [{"BOOL": True}, {"S": ""}]}}}})
    stored = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)
    (moto_project,) = moto_dynamodb._MOTO_PROJECT
    names = [k for item in ITEMS for k in item] + ["m", "l", "absent"]
    for key in ("a", "b", "c"):
        item = stored.get_item(DynamoType({"S": key}))
        for wanted in [[n] for n in names] + [names, names[::-1], ["m", "pk"], ["s", "n", "null", "ns", "grp"]]:
            ours, theirs = item.project([[n] for n in wanted]), moto_project(item, [[n] for n in wanted])
            assert ours.to_json() == theirs.to_json(), (key, wanted)
            assert list(ours.attrs) == list(theirs.attrs) and ours.size() == theirs.size(), (key, wanted)
    got = client.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "c"}}],
                                                     "ProjectionExpression": "m, s, n, #n",
                                                     "ExpressionAttributeNames": {"#n": "null"}}})
    back = {i.get("s", {}).get("S", "c"): i for i in got["Responses"][name]}
    assert back[ITEMS[0]["s"]["S"]] == {"s": ITEMS[0]["s"], "n": ITEMS[0]["n"], "null": {"NULL": True}}
    assert back["c"] == {"m": {"M": {"a": {"S": "x"}, "n": {"NULL": True}, "l": {"L": [{"BOOL": True}, {"S": ""}]}}}}
    # a kept projection follows a later update of the item it came from
    client.update_item(TableName=name, Key={"pk": {"S": "c"}}, UpdateExpression="SET m.a = :v",
                       ExpressionAttributeValues={":v": {"S": "yy"}})
    got = client.get_item(TableName=name, Key={"pk": {"S": "c"}}, ProjectionExpression="m")
    assert got["Item"]["m"]["M"]["a"] == {"S": "yy"}
    item = stored.get_item(DynamoType({"S": "c"}))
    projected = item.project([["m"], ["pk"]])
    assert projected.attrs["m"] is item.attrs["m"]  # handed on, not rebuilt
    assert projected.size() == moto_project(item, [["m"], ["pk"]]).size()


def test_results_become_plain_values_as_moto_s_own(table: Any) -> None:
    """What moto's serializer is handed (dynamo_to_dict of a result) is moto's own, value and type."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from devstack import moto_dynamodb

    client, name = table
    for item in ITEMS:
        client.put_item(TableName=name, Item=item)
    stored = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)
    items = [stored.get_item(DynamoType({"S": k})) for k in ("a", "b")]
    result = {"Responses": {name: [i.attrs for i in items]}, "Items": [i.describe_attrs()["Item"] for i in items],
              "Item": items[0], "Count": 2, "Scanned": 1.5, "Flag": True, "None": None, "Table": stored}
    (moto_to_dict,) = moto_dynamodb._MOTO_TO_DICT
    ours, theirs = moto_dynamodb._to_dict(result), moto_to_dict(result)
    assert ours == theirs

    def types(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: types(x) for k, x in v.items()}
        if isinstance(v, list):
            return [types(x) for x in v]
        return type(v).__name__

    assert types(ours) == types(theirs)

"""devstack/moto_item_writes.py walks an item once per put without changing any answer: the same
items stored (values, types, sizes) and the same errors, in the same order, as moto's own code,
through PutItem, BatchWriteItem and TransactWriteItems."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError

from tests.integration.core.moto_tables import create_fit_table

NAME = "fit-writes"


@pytest.fixture()
def ddb(aws: Any) -> Any:
    import boto3
    from botocore.config import Config

    # the SDK's own checks off, so that malformed values reach moto as a careless client sends them
    return boto3.client("dynamodb", region_name=aws.settings.region, config=Config(parameter_validation=False))


@contextlib.contextmanager
def _stock() -> Iterator[None]:
    """moto's own put path for the duration (the fit's layer removed, everything else kept)."""
    from moto.dynamodb import responses
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    from devstack import moto_item_writes

    stock = moto_item_writes.STOCK
    fitted = (Table.put_item, Table._validate_item_types, Table._validate_key_sizes, Item.__init__,
              responses.dynamo_json_dump)
    assert fitted[0] is not stock["put_item"] and fitted[4] is not stock["dump"]  # the fit is installed
    Table.put_item, Table._validate_item_types = stock["put_item"], stock["validate_types"]  # type: ignore
    Table._validate_key_sizes, Item.__init__ = stock["validate_key_sizes"], stock["item_init"]  # type: ignore
    responses.dynamo_json_dump = stock["dump"]
    try:
        yield
    finally:
        (Table.put_item, Table._validate_item_types, Table._validate_key_sizes, Item.__init__,  # type: ignore
         responses.dynamo_json_dump) = fitted


MEMBER = {"pk": {"S": "110000000001"}, "grp": {"S": "110000"}, "complete": {"BOOL": True}, "n": {"N": "0"},
          "profile": {"M": {"name": {"S": "潘明"}, "x": {"S": ""}, "deep": {"M": {"k": {"N": "-1.5e3"}}},
                            "l": {"L": [{"S": "a"}, {"NULL": True}, {"M": {"N": {"S": "named N in a list"}}}]}}},
          "changes": {"L": []}, "empty": {"M": {}}, "null": {"NULL": True}, "f": {"BOOL": False},
          "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"\x01"]}}


def _item(pk: str, **attrs: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "grp": {"S": "g"}, **attrs}


# (label, item): each put on its own, in order, through PutItem, a batch of one and a transaction
CASES: list[tuple[str, dict[str, Any]]] = [
    ("member", MEMBER),
    ("text number", _item("n1", v={"N": " 12"})),
    ("bad number", _item("n2", v={"N": "twelve"})),
    ("bad number in a map", _item("n3", m={"M": {"a": {"S": "x"}, "v": {"N": "1e999"}}})),
    ("bad number in a list", _item("n4", l={"L": [{"N": "twelve"}]})),  # moto does not look there
    ("two bad numbers", _item("n5", a={"N": "x"}, m={"M": {"v": {"N": "y"}}})),
    ("number as int", _item("n6", v={"N": 5})),
    ("text as int", _item("s1", v={"S": 5})),
    ("null false", _item("z1", v={"NULL": False})),
    ("null false in a list", _item("z2", l={"L": [{"NULL": False}]})),
    ("attribute named N", _item("t1", N={"S": "x"})),
    ("attribute named S with a map", _item("t2", m={"M": {"S": {"M": {}}}})),
    ("attribute named NULL", _item("t3", NULL={"BOOL": False})),
    ("empty key", _item("")),
    ("empty index key", {"pk": {"S": "e2"}, "grp": {"S": ""}}),
    ("wrong key type", {"pk": {"N": "1"}}),
    ("missing key", {"grp": {"S": "g"}}),
    ("hash key too long", _item("h" * 2049)),
    ("index range key too long", _item("r" * 1025)),
    ("just under the size limit", _item("big1", a={"S": "x" * 200_000}, b={"S": "y" * 200_000})),
    ("over the size limit", _item("big2", a={"S": "x" * 200_000}, b={"S": "y" * 200_000}, c={"S": "z" * 10_000})),
    ("over the limit and a bad number after", _item("big3", a={"S": "x" * 410_000}, v={"N": "x"})),
    ("over the limit in a map", _item("big4", m={"M": {"a": {"S": "x" * 410_000}}})),
    ("two types in one value", _item("w1", v={"S": "x", "N": "1"})),
    ("empty value", _item("w2", v={})),
    ("replaced", _item("member2", v={"S": "first"})),
    ("replaced again", _item("member2", w={"N": "2"})),
]


def _error(exc: ClientError) -> tuple[str, str]:
    return exc.response["Error"]["Code"], exc.response["Error"].get("Message", "")


def _stored(table: Any, item: dict[str, Any]) -> tuple[Any, ...]:
    """The item as stored just now, with the size measured as it was stored (kept for reads)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    stored = table.get_item(DynamoType(item["pk"]))
    return (json.dumps(stored.to_json(), sort_keys=True, default=str), stored.__dict__["_fit_size"][1:],
            [(k, type(v).__name__, v.type, v.size()) for k, v in stored.attrs.items()])


def _run(client: Any) -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    create_fit_table(client, NAME)
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][client.meta.region_name].get_table(NAME)
    outcomes: list[Any] = []
    try:
        for label, item in CASES:
            for how in ("put", "batch", "transaction"):
                try:
                    if how == "put":
                        client.put_item(TableName=NAME, Item=item)
                    elif how == "batch":
                        client.batch_write_item(RequestItems={NAME: [{"PutRequest": {"Item": item}}]})
                    else:
                        client.transact_write_items(TransactItems=[{"Put": {
                            "TableName": NAME, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}])
                    outcomes.append((label, how, "ok", _stored(table, item)))
                except ClientError as exc:
                    outcomes.append((label, how, _error(exc), exc.response.get("CancellationReasons")))
                except Exception as exc:  # moto itself fails on some malformed values, in both
                    outcomes.append((label, how, type(exc).__name__, str(exc)))
        stored = sorted((json.dumps(i.to_json(), sort_keys=True, default=str), i.size(),
                         sorted((k, type(v).__name__, v.size()) for k, v in i.attrs.items()))
                        for i in table.all_items())
        scan = client.scan(TableName=NAME)["Items"]
        outcomes.append(("stored", stored, sorted(json.dumps(i, sort_keys=True, default=str) for i in scan)))
    finally:
        client.delete_table(TableName=NAME)
    return outcomes


def test_every_put_stores_and_refuses_as_moto_s_own(ddb: Any) -> None:
    fitted = _run(ddb)
    with _stock():
        stock = _run(ddb)
    assert len(fitted) == len(stock) == 3 * len(CASES) + 1
    for ours, theirs in zip(fitted, stock):
        assert ours == theirs, ours[:2]
    # the cases do reach the errors they are named after
    outcome = {(o[0], o[1]): o[2] for o in fitted[:-1]}
    assert fitted[0][3][1][0] == 119  # the member's size as stored (its name is 6 bytes of UTF-8)
    assert outcome[("member", "put")] == "ok" and outcome[("bad number in a list", "put")] == "ok"
    assert outcome[("bad number", "put")][0] == "ValidationException"
    assert outcome[("text as int", "put")][0] == "SerializationException"
    assert "Item size has exceeded" in outcome[("over the size limit", "batch")][1]
    assert outcome[("empty key", "batch")][0] == "ValidationException"
    assert outcome[("hash key too long", "put")][0] == "ValidationException"
    assert outcome[("member", "transaction")][0] == "TransactionCanceledException"  # it exists already


def test_a_transaction_of_claims_cancels_as_moto_s_own(ddb: Any) -> None:
    """The import's claims: 100 conditional puts, some held already, one malformed."""
    def run() -> list[Any]:
        create_fit_table(ddb, NAME)
        try:
            for n in (3, 50):
                ddb.put_item(TableName=NAME, Item=_item(f"claim{n}", owner={"S": "other"}))
            out: list[Any] = []
            for bad in (None, 70):
                actions = [{"Put": {"TableName": NAME, "ConditionExpression": "attribute_not_exists(#0)",
                                    "ExpressionAttributeNames": {"#0": "pk"},
                                    "Item": _item(f"claim{n}", owner={"S": f"m{n}"},
                                                  v={"N": "x" if n == bad else str(n)})}} for n in range(100)]
                try:
                    ddb.transact_write_items(TransactItems=actions)
                    out.append("ok")
                except ClientError as exc:
                    out.append((_error(exc), exc.response.get("CancellationReasons")))
            out.append(sorted(json.dumps(i, sort_keys=True) for i in ddb.scan(TableName=NAME)["Items"]))
            return out
        finally:
            ddb.delete_table(TableName=NAME)

    fitted = run()
    with _stock():
        stock = run()
    assert fitted == stock
    assert fitted[0][0][0] == "TransactionCanceledException"  # claims 3 and 50 are held
    assert len(fitted[2]) == 2  # nothing else was written


def test_duplicates_in_a_batch_are_moto_s_own(ddb: Any) -> None:
    other = "fit-writes-2"
    a, b = _item("d1", v={"S": "x"}), _item("d2", v={"S": "x"})

    def run() -> list[Any]:
        create_fit_table(ddb, NAME)
        ddb.create_table(TableName=other, BillingMode="PAY_PER_REQUEST", KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk",
                                                                               "AttributeType": "S"}])
        out: list[Any] = []
        try:
            for requests in (
                {NAME: [{"PutRequest": {"Item": a}}, {"PutRequest": {"Item": b}}]},
                {NAME: [{"PutRequest": {"Item": a}}, {"PutRequest": {"Item": dict(a)}}]},  # the same item twice
                {NAME: [{"PutRequest": {"Item": a}}, {"PutRequest": {"Item": dict(reversed(list(a.items())))}}]},
                {NAME: [{"PutRequest": {"Item": a}}, {"PutRequest": {"Item": {**a, "v": {"S": "y"}}}}]},  # same key
                {NAME: [{"PutRequest": {"Item": a}}], other: [{"PutRequest": {"Item": a}}]},  # across tables
                {NAME: [{"PutRequest": {"Item": _item("d3", v={"B": b"x"})}},
                        {"PutRequest": {"Item": _item("d3", v={"B": b"x"})}}]},
                {NAME: [{"DeleteRequest": {"Key": {"pk": {"S": "d1"}}}},
                        {"DeleteRequest": {"Key": {"pk": {"S": "d1"}}}}]},
            ):
                try:
                    ddb.batch_write_item(RequestItems=requests)
                    out.append("ok")
                except ClientError as exc:
                    out.append(_error(exc))
            out.append(sorted(json.dumps(i, sort_keys=True, default=str) for i in ddb.scan(TableName=NAME)["Items"]))
            return out
        finally:
            ddb.delete_table(TableName=NAME)
            ddb.delete_table(TableName=other)

    fitted = run()
    with _stock():
        stock = run()
    assert fitted == stock
    assert fitted[:7] == ["ok", fitted[1], "ok", "ok", fitted[1], fitted[1], fitted[1]]
    assert "duplicates" in fitted[1][1]


def test_the_duplicate_signature_never_hides_equal_texts() -> None:
    from moto.dynamodb.models.utilities import dynamo_json_dump

    from devstack.moto_item_writes import _Dumped

    items: list[Any] = [
        _item("a"), _item("a"), _item("b"), dict(reversed(list(_item("a").items()))),
        {"pk": {"S": "a"}, "grp": {"S": "g"}, "v": {"B": b"x"}}, {"pk": {"S": "a"}, "grp": {"S": "g"}, "v": {"B": "eA=="}},
        {"pk": {"S": "1"}}, {"pk": {"N": "1"}}, {"pk": {"S": 1}}, {1: {"S": "x"}}, {"1": {"S": "x"}},
        {"pk": {"BOOL": True}}, {"pk": {"N": 1}}, {"pk": {"S": "x", "N": "1"}}, {"pk": {}}, {}, [], "text",
    ]
    for x in items:
        for y in items:
            assert (_Dumped(x) == _Dumped(y)) is (dynamo_json_dump(x) == dynamo_json_dump(y)), (x, y)


def test_write_responses_are_moto_s_own_every_time() -> None:
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model

    model = get_service_model("dynamodb")
    fitted_class = get_serializer_class("dynamodb", "json")
    capacity = [{"TableName": t, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}} for t in ("a", "b")]
    results = [
        ("BatchWriteItem", {"ConsumedCapacity": capacity, "ItemCollectionMetrics": {}, "UnprocessedItems": {}}),
        ("BatchWriteItem", {"ConsumedCapacity": capacity[:1], "ItemCollectionMetrics": {}, "UnprocessedItems": {}}),
        ("TransactWriteItems", {"ConsumedCapacity": capacity, "ItemCollectionMetrics": {}}),
        ("TransactWriteItems", {"ConsumedCapacity": [{"TableName": "a", "CapacityUnits": 1}]}),
        ("PutItem", {"ConsumedCapacity": {"TableName": "a", "CapacityUnits": 1.0}}),
        ("PutItem", {"Attributes": {"pk": {"S": "x"}, "n": {"N": "1"}}}),
        ("DeleteItem", {}),
    ]
    for _ in range(2):  # the second time from the kept ones
        for operation, result in results:
            bodies = []
            for cls in (JSONSerializer, fitted_class):
                out = cls(operation_model=model.operation_model(operation), pretty_print=False,
                          value_picker=XFormedAttributePicker()).serialize(result)
                bodies.append(out)
                out["headers"]["x-mutated-by-caller"] = "1"  # the caller adds its own headers
            assert bodies[0] == bodies[1], (operation, result)

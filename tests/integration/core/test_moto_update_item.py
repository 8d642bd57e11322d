"""devstack/moto_update_item.py makes moto's UpdateItem cheaper without changing any answer:
the parsed tree is copied exactly as `copy.deepcopy` copies it, and the same updates,
conditions and failures give the same answers and the same stored items with and without it."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

EXPRESSIONS = [
    "SET #a = :v, b = if_not_exists(b, :zero) + :one REMOVE c",
    "SET l = list_append(if_not_exists(l, :empty), :more), m.k2 = :v ADD n :one DELETE s :gone",
    "SET #a = :v",
    "SET a[0] = :v, b = b - :one",
    "REMOVE a.b[2], c",
]


def _shape(node: Any, seen: dict[int, int], path: str = "") -> Any:
    """A node tree as plain values: classes, attributes, and which node each parent link names."""
    from moto.dynamodb.parsing.ast_nodes import Node

    if isinstance(node, Node):
        seen.setdefault(id(node), len(seen))
        attrs = {k: (("parent", seen.get(id(v), "outside")) if k == "parent" and v is not None
                     else _shape(v, seen, f"{path}.{k}")) for k, v in vars(node).items()}
        return (type(node).__name__, attrs)
    if isinstance(node, (list, tuple)):
        return [type(node).__name__, *[_shape(v, seen, path) for v in node]]
    if isinstance(node, dict):
        return {k: _shape(v, seen, path) for k, v in node.items()}
    return (type(node).__name__, repr(node))


def _nodes(node: Any) -> list[Any]:
    from moto.dynamodb.parsing.ast_nodes import Node

    out = [node]
    for child in getattr(node, "children", None) or []:
        if isinstance(child, Node):
            out += _nodes(child)
    return out


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_the_tree_copy_is_deepcopys(expression: str) -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    from devstack.moto_update_item import tree_copy

    tree = UpdateExpressionParser.make(expression)
    ours, theirs = tree_copy(tree), copy.deepcopy(tree)
    assert _shape(ours, {}) == _shape(theirs, {})
    # a copy shares no node with the original, and its parent links point inside the copy
    originals = {id(n) for n in _nodes(tree)}
    copied = _nodes(ours)
    assert not originals & {id(n) for n in copied}
    inside = {id(n) for n in copied}
    assert all(n.parent is None or id(n.parent) in inside for n in copied)


def test_a_parsed_expression_is_shared_only_read(aws: Any) -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    first = UpdateExpressionParser.make(EXPRESSIONS[0])
    before = _shape(first, {})
    assert UpdateExpressionParser.make(EXPRESSIONS[0]) is first  # the fit is installed (tests/conftest.py)
    _run(aws, "fit-update-shared")  # every update goes through validators that copy the tree
    assert _shape(UpdateExpressionParser.make(EXPRESSIONS[0]), {}) == before


def _run(aws: Any, name: str) -> list[Any]:
    """A sequence of updates, their answers (or errors) and the items they leave."""
    from chalicelib import aws as aws_clients

    client = aws_clients.client("dynamodb", aws.settings.region)
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    client.put_item(TableName=name, Item={"pk": {"S": "a"}, "c": {"S": "gone"}, "s": {"SS": ["x", "y"]},
                                          "m": {"M": {"k": {"N": "1"}}}, "version": {"N": "3"},
                                          "profile": {"M": {f"f{i}": {"S": f"值{i}"} for i in range(30)}}})
    values = {":v": {"S": "中文"}, ":zero": {"N": "0"}, ":one": {"N": "1"}, ":empty": {"L": []},
              ":more": {"L": [{"S": "x"}, {"N": "2"}]}, ":gone": {"SS": ["x"]}}
    calls: list[dict[str, Any]] = [
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": EXPRESSIONS[0], "ExpressionAttributeNames": {"#a": "a"},
         "ExpressionAttributeValues": {k: values[k] for k in (":v", ":zero", ":one")}, "ReturnValues": "ALL_NEW"},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": EXPRESSIONS[1],
         "ExpressionAttributeValues": {k: values[k] for k in (":v", ":one", ":empty", ":more", ":gone")},
         "ReturnValues": "UPDATED_OLD"},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET cert_hash = :h, updated = :t ADD version :one",
         "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {
             ":h": {"S": "ab" * 32}, ":t": {"S": "2026-01-01T00:00:00Z"}, ":one": {"N": "1"}}},
        # the same expression again (served from the parse cache when fitted)
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET cert_hash = :h, updated = :t ADD version :one",
         "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {
             ":h": {"S": "cd" * 32}, ":t": {"S": "2026-01-02T00:00:00Z"}, ":one": {"N": "1"}}, "ReturnValues": "ALL_OLD"},
        # a member that does not exist is not created
        {"Key": {"pk": {"S": "missing"}}, "UpdateExpression": "SET cert_hash = :h, updated = :t ADD version :one",
         "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {
             ":h": {"S": "ef" * 32}, ":t": {"S": "2026-01-03T00:00:00Z"}, ":one": {"N": "1"}},
         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
        # without a condition, an update creates the item
        {"Key": {"pk": {"S": "new"}}, "UpdateExpression": EXPRESSIONS[2], "ExpressionAttributeNames": {"#a": "a"},
         "ExpressionAttributeValues": {":v": values[":v"]}, "ReturnValues": "UPDATED_NEW"},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": EXPRESSIONS[3],
         "ExpressionAttributeValues": {":v": values[":v"], ":one": values[":one"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": EXPRESSIONS[4]},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = :undefined"},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = = :v", "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = :v, a = :v", "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD m :one", "ExpressionAttributeValues": {":one": values[":one"]}},
        # ReturnValues NONE (the fitted shortcut) against moto's own checks
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v", "ReturnValues": "NONE",
         "ExpressionAttributeValues": {":v": values[":v"]}, "ReturnConsumedCapacity": "TOTAL"},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v", "ReturnConsumedCapacity": "INDEXES",
         "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "   "},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v", "AttributeUpdates": {"y": {"Action": "DELETE"}},
         "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "AttributeUpdates": {"y": {"Action": "PUT", "Value": {"S": "legacy"}}}},
        {"Key": {"pk": {"S": "a"}}, "AttributeUpdates": {"y": {"Action": "PUT", "Value": {"S": "expected"}}},
         "Expected": {"y": {"Value": {"S": "not so"}}}},
        {"Key": {"nope": {"S": "a"}}, "UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"N": "1"}}, "UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v", "ExpressionAttributeNames": {"#unused": "u"},
         "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v",
         "ExpressionAttributeValues": {":v": values[":v"], ":unused": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v", "ConditionExpression": "#n = :v",
         "ExpressionAttributeNames": {"#n": "x"}, "ExpressionAttributeValues": {":v": values[":v"]}},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v", "ConditionExpression": "x = :w",
         "ExpressionAttributeValues": {":v": values[":v"], ":w": {"S": "other"}},
         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
        {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :v", "ReturnValues": "SOMETIMES",
         "ExpressionAttributeValues": {":v": values[":v"]}},
    ]
    out: list[Any] = []
    for call in calls:
        try:
            answer = client.update_item(TableName=name, **call)
            answer.pop("ResponseMetadata")
            answer.get("ConsumedCapacity", {}).pop("TableName", None)  # the two runs' tables differ
            out.append(answer)
        except ClientError as err:
            out.append((err.response["Error"].get("Code"), err.response["Error"].get("Message"),
                        err.response.get("Item")))
    out.append(sorted(client.scan(TableName=name)["Items"], key=lambda i: i["pk"]["S"]))
    client.delete_table(TableName=name)
    return out


def test_updates_answer_and_store_the_same_with_and_without_the_fit(aws: Any) -> None:
    from devstack.moto_update_item import unfitted

    fitted = _run(aws, "fit-update-fitted")
    with unfitted():
        stock = _run(aws, "fit-update-stock")
    assert fitted == stock
    assert fitted[4][0] == "ConditionalCheckFailedException"
    assert [i["pk"]["S"] for i in fitted[-1]] == ["a", "new"]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_validation_passes_and_clause_search_give_moto_s_own_trees(aws: Any, expression: str) -> None:
    """The class checks kept per class: every validation pass of moto's validator, and the clause
    search, give the same tree (same classes, attributes and parent links) as moto's own code."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.parsing import ast_nodes
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    from devstack.moto_update_item import unfitted

    item = Item(DynamoType({"S": "a"}), None, {"pk": {"S": "a"}, "b": {"N": "2"}, "l": {"L": [{"S": "x"}]},
                                               "a": {"M": {"b": {"L": [{"N": "1"}] * 3}}}, "c": {"S": "c"},
                                               "m": {"M": {"k": {"N": "1"}}}, "s": {"SS": ["x", "y"]}})
    table = SimpleNamespace(table_key_attrs=["pk"], attr=[{"AttributeName": "pk", "AttributeType": "S"}],
                            attribute_keys=["pk"])
    values = {":v": {"S": "中文"}, ":zero": {"N": "0"}, ":one": {"N": "1"}, ":empty": {"L": []},
              ":more": {"L": [{"S": "x"}]}, ":gone": {"SS": ["x"]}}
    kinds = [ast_nodes.ExpressionAttributeName, ast_nodes.ExpressionAttributeValue, ast_nodes.ExpressionPathDescender,
             ast_nodes.UpdateExpressionSetAction, ast_nodes.UpdateExpressionRemoveAction]

    def run() -> Any:
        tree = UpdateExpressionParser.make(expression)
        clauses = [[_shape(c, {}) for c in tree.find_clauses([kind])] for kind in kinds]
        try:
            validated = UpdateExpressionValidator(tree, expression_attribute_names={"#a": "a"},
                                                  expression_attribute_values=values, item=copy.deepcopy(item),
                                                  table=table).validate()
            return clauses, _shape(validated, {})
        except Exception as err:  # noqa: BLE001 - the same failure either way is the point
            return clauses, (type(err).__name__, str(err))

    fitted = run()
    with unfitted():
        stock = run()
    assert fitted == stock
    assert any(fitted[0])

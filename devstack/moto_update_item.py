"""Give moto's DynamoDB UpdateItem the cost model of DynamoDB (a patch apart from
devstack/moto_dynamodb.py, applied beside it).

Each certificate a bulk job issues is recorded with one conditional UpdateItem of four
attributes. DynamoDB's cost for it is the item written; moto's was about a third of all the CPU
moto spent per certificate, for two reasons that have nothing to do with the item:

- **The update expression is parsed twice per request** (once to check the names and values it
  uses, once to apply it), although a request names one expression, and a job sends the same
  expression thousands of times. Here a parsed expression is kept by its text (the parser is a
  pure function of the text; an expression that fails to parse is not kept and fails the same
  way each time). Every user of the parsed tree either only reads it or copies it first (the
  validator below), so sharing it changes nothing.
- **The validator deep-copies the parsed tree** through Python's generic `copy.deepcopy`, which
  reduces and rebuilds every node through the pickle protocol: most of the request's time.
  Here the tree is copied node by node (a new node of the same class with each attribute
  copied the same way: nodes, lists, tuples and dicts recursively, the parent links kept
  consistent through the same memo `deepcopy` uses); anything else in the tree (values already
  resolved into DynamoDB types) goes through `copy.deepcopy` as before. The copy is equal to
  deepcopy's, attribute for attribute (tests/integration/core/test_moto_update_item.py).

- **Each of the ten validation passes rebuilds its table of node classes for every node** it
  visits (to ask "is this a node I process?"); the table is the same every time. Here a pass
  builds it once.
- **Every node of every validation pass asks "is this a tree node?" and "is it one of the
  classes this pass processes?"** through `isinstance` against abstract base classes, which
  goes through `ABCMeta.__instancecheck__` in Python each time (the same for `find_clauses`).
  The answers depend only on the node's class (moto registers no virtual subclasses), so here
  they are kept per class (`_instance_of`); the traversal and the search are otherwise moto's,
  statement for statement.
- **An update that asks for nothing back (ReturnValues NONE, what the application sends)
  still copies the whole item before the update and renders it twice** (before and after),
  only to compute the attributes the other ReturnValues answer with. Here such a request runs
  moto's same checks in the same order and the same update, without the copy and renderings;
  every other ReturnValues runs moto's own handler.

Nothing here changes what a request returns or stores; that test also runs the same updates,
conditions and failures with and without the fit and compares answers and items.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
from typing import Any, Iterator

_FITTED: list[bool] = []
_STOCK: dict[str, Any] = {}  # moto's own parser entry and copy function, for `unfitted`
_PARSED_KEPT = 512  # distinct update expressions kept (an application sends a handful)


def fit_update_item() -> None:
    """Idempotent: memoise the update-expression parser and copy its trees directly."""
    if _FITTED:
        return
    _install_parse_cache()
    _install_tree_copy()
    _install_traverser_kinds()
    _install_class_checks()
    _install_no_return_values()
    _FITTED.append(True)


def _moto(module: str) -> Any:
    """A moto module, typed loosely (moto's parsing modules carry no type information)."""
    return importlib.import_module(module)


def _install_parse_cache() -> None:
    parser = _moto("moto.dynamodb.parsing.expressions").UpdateExpressionParser
    stock = parser.make.__func__
    _STOCK["make"] = parser.__dict__["make"]

    @functools.lru_cache(maxsize=_PARSED_KEPT)
    def parse(expression: str) -> Any:
        return stock(parser, expression)

    def make(cls: type, expression_str: str) -> Any:
        if cls is not parser or not isinstance(expression_str, str):
            return stock(cls, expression_str)
        return parse(expression_str)

    parser.make = classmethod(make)


def _install_tree_copy() -> None:
    validators = _moto("moto.dynamodb.parsing.validators")
    _STOCK["deepcopy"] = validators.deepcopy
    validators.deepcopy = tree_copy


def _install_traverser_kinds() -> None:
    traverser = _moto("moto.dynamodb.parsing.ast_nodes").DepthFirstTraverser
    stock = traverser.nodes_to_be_processed
    _STOCK["nodes_to_be_processed"] = stock

    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        kinds = self.__dict__.get("_fit_kinds")
        if kinds is None:  # the node classes a processor handles: the keys of a fixed table
            kinds = self.__dict__["_fit_kinds"] = stock(self)
        return kinds

    traverser.nodes_to_be_processed = nodes_to_be_processed


_INSTANCE_OF: dict[tuple[type, Any], bool] = {}


def _instance_of(kind: type, classes: Any) -> bool:
    """`isinstance(x, classes)` for any `x` of class `kind` (a class or a tuple of classes), kept."""
    key = (kind, classes)
    answer = _INSTANCE_OF.get(key)
    if answer is None:
        answer = _INSTANCE_OF[key] = issubclass(kind, classes)
    return answer


def _install_class_checks() -> None:
    ast_nodes = _moto("moto.dynamodb.parsing.ast_nodes")
    traverser, node_class = ast_nodes.DepthFirstTraverser, ast_nodes.Node
    expression, function = ast_nodes.Expression, ast_nodes.UpdateExpressionFunction
    _STOCK["traverse"] = traverser.traverse_node_recursively
    _STOCK["find_clauses"] = node_class.find_clauses

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        """moto's `DepthFirstTraverser.traverse_node_recursively`, with the class checks kept."""
        if _instance_of(type(node), node_class):
            parent_node = node.parent
            if node.children is not None:
                for i, child_node in enumerate(node.children):
                    self.pre_processing_of_child(node, i)
                    self.traverse_node_recursively(child_node, i)
            if _instance_of(type(node), self.nodes_to_be_processed()):
                node = self.process(node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
        return node

    def find_clauses(self: Any, clause_types: Any) -> list[Any]:
        """moto's `Node.find_clauses`, with the class checks kept."""
        clauses = []
        for child in self.children or []:
            if type(child) in clause_types:
                clauses.append(child)
            elif _instance_of(type(child), expression):
                clauses.extend(child.find_clauses(clause_types))
            elif _instance_of(type(child), function):
                clauses.extend(child.find_clauses(clause_types))
        return clauses

    traverser.traverse_node_recursively = traverse_node_recursively
    node_class.find_clauses = find_clauses


def _install_no_return_values() -> None:
    handler = _moto("moto.dynamodb.responses").DynamoHandler
    stock = handler.__dict__["update_item"]
    _STOCK["update_item"] = stock

    @functools.wraps(stock)
    def update_item(self: Any) -> Any:
        if self.body.get("ReturnValues", "NONE") != "NONE":
            return stock(self)
        return _update_returning_nothing(self)

    handler.update_item = update_item


def _update_returning_nothing(self: Any) -> Any:
    """moto's `DynamoHandler.update_item` for ReturnValues NONE: the same checks, in the same
    order, with the same errors, and the same update; without the copy of the item before it
    and the two renderings of the whole item (before and after) that only the other
    ReturnValues use. The answer is the one moto gives for NONE: the consumed capacity alone
    (tests/integration/core/test_moto_update_item.py runs both on the same requests)."""
    responses = _moto("moto.dynamodb.responses")
    ast_nodes = _moto("moto.dynamodb.parsing.ast_nodes")
    name = self.body["TableName"]
    key = self.body["Key"]
    update_expression = self.body.get("UpdateExpression", None)
    attribute_updates = self.body.get("AttributeUpdates")
    if update_expression is not None and attribute_updates:
        raise responses.MockValidationException(
            "Can not use both expression and non-expression parameters in the same request: Non-expression "
            "parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"
        )
    table = self.dynamodb_backend.get_table(name)
    if not all(k in table.attribute_keys for k in key):
        raise responses.ProvidedKeyDoesNotExist
    names_used: list[str] = []
    values_used: list[str] = []
    if update_expression is not None:
        update_expression = update_expression.strip()
        if update_expression == "":
            raise responses.MockValidationException(
                "1 validation error detected: Invalid UpdateExpression: The expression can not be empty;"
            )
        tree = responses.UpdateExpressionParser.make(update_expression)
        names_used = [a.get_attribute_name_placeholder() for a in tree.find_clauses([ast_nodes.ExpressionAttributeName])]
        values_used.extend(a.get_value_name() for a in tree.find_clauses([ast_nodes.ExpressionAttributeValue]))
    else:
        update_expression = ""
    return_values_on_condition_check_failure = self.body.get("ReturnValuesOnConditionCheckFailure")
    self.dynamodb_backend.get_item(name, key)  # its key checks, at the same point (the item is not copied)
    expected = self.body["Expected"] if "Expected" in self.body else None
    condition_expression = self.body.get("ConditionExpression")
    expression_attribute_names = self.body.get("ExpressionAttributeNames", {})
    expression_attribute_values = self._get_expr_attr_values()
    condition_parser = responses.create_condition_expression_parser(
        condition_expression, expression_attribute_names, expression_attribute_values)
    condition_parser.parse()
    names_used += condition_parser.expr_attr_names_found
    values_used += condition_parser.expr_attr_values_found
    responses.validate_attributes_used(expression_attribute_names, names_used)
    responses.validate_attributes_used(expression_attribute_values, values_used, "Values")
    self.dynamodb_backend.update_item(
        name, key, update_expression=update_expression, attribute_updates=attribute_updates,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values, expected=expected,
        condition_expression=condition_expression,
        return_values_on_condition_check_failure=return_values_on_condition_check_failure,
    )
    return responses.DynamoResult({"ConsumedCapacity": {"TableName": name, "CapacityUnits": 0.5}})


@contextlib.contextmanager
def unfitted() -> Iterator[None]:
    """moto's own UpdateItem while the block runs (tests compare answers with and without)."""
    validators = _moto("moto.dynamodb.parsing.validators")
    parser = _moto("moto.dynamodb.parsing.expressions").UpdateExpressionParser
    if not _STOCK:
        yield
        return
    ast_nodes = _moto("moto.dynamodb.parsing.ast_nodes")
    traverser, node = ast_nodes.DepthFirstTraverser, ast_nodes.Node
    handler = _moto("moto.dynamodb.responses").DynamoHandler
    fitted = (parser.__dict__["make"], validators.deepcopy, traverser.nodes_to_be_processed,
              handler.__dict__["update_item"], traverser.traverse_node_recursively, node.find_clauses)
    parser.make, validators.deepcopy = _STOCK["make"], _STOCK["deepcopy"]
    traverser.nodes_to_be_processed, handler.update_item = _STOCK["nodes_to_be_processed"], _STOCK["update_item"]
    traverser.traverse_node_recursively, node.find_clauses = _STOCK["traverse"], _STOCK["find_clauses"]
    try:
        yield
    finally:
        (parser.make, validators.deepcopy, traverser.nodes_to_be_processed, handler.update_item,
         traverser.traverse_node_recursively, node.find_clauses) = fitted


def tree_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy(value)` for moto's expression trees, without the pickle protocol."""
    if not _NODE:
        _NODE.append(_moto("moto.dynamodb.parsing.ast_nodes").Node)
    return _copy(value, {} if memo is None else memo, _NODE[0])


_NODE: list[type] = []

_keep_alive: Any = getattr(copy, "_keep_alive")  # noqa: B009  (private in typeshed)
_ATOMS = frozenset({str, int, float, bool, bytes, type(None)})


def _copy(value: Any, memo: dict[int, Any], node_type: type) -> Any:
    kind = type(value)
    if kind in _ATOMS:
        return value
    seen = memo.get(id(value), memo)
    if seen is not memo:
        return seen
    plain = _PLAIN_NODE.get(kind)
    if plain is None:  # decided once per class: a tree node that deepcopy copies by its __dict__
        plain = _PLAIN_NODE[kind] = issubclass(kind, node_type) and not hasattr(kind, "__deepcopy__") \
            and not hasattr(kind, "__slots__") and "__reduce_ex__" not in vars(kind) and "__reduce__" not in vars(kind)
    if plain:
        new = object.__new__(kind)
        memo[id(value)] = new
        _keep_alive(value, memo)  # as deepcopy does
        new.__dict__.update({k: v if type(v) in _ATOMS else _copy(v, memo, node_type)
                             for k, v in value.__dict__.items()})
        return new
    if kind is list:
        new_list: list[Any] = []
        memo[id(value)] = new_list
        _keep_alive(value, memo)
        new_list.extend([v if type(v) in _ATOMS else _copy(v, memo, node_type) for v in value])
        return new_list
    if kind is dict:
        new_dict: dict[Any, Any] = {}
        memo[id(value)] = new_dict
        _keep_alive(value, memo)
        new_dict.update({_copy(k, memo, node_type): _copy(v, memo, node_type) for k, v in value.items()})
        return new_dict
    return copy.deepcopy(value, memo)


_PLAIN_NODE: dict[type, bool] = {}

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


@contextlib.contextmanager
def unfitted() -> Iterator[None]:
    """moto's own UpdateItem while the block runs (tests compare answers with and without)."""
    validators = _moto("moto.dynamodb.parsing.validators")
    parser = _moto("moto.dynamodb.parsing.expressions").UpdateExpressionParser
    if not _STOCK:
        yield
        return
    fitted = (parser.__dict__["make"], validators.deepcopy)
    parser.make, validators.deepcopy = _STOCK["make"], _STOCK["deepcopy"]
    try:
        yield
    finally:
        parser.make, validators.deepcopy = fitted


def tree_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy(value)` for moto's expression trees, without the pickle protocol."""
    if not _NODE:
        _NODE.append(_moto("moto.dynamodb.parsing.ast_nodes").Node)
    return _copy(value, {} if memo is None else memo, _NODE[0])


_NODE: list[type] = []

_keep_alive: Any = getattr(copy, "_keep_alive")  # noqa: B009  (private in typeshed)
_ATOMS = (str, int, float, bool, bytes, type(None))


def _copy(value: Any, memo: dict[int, Any], node_type: type) -> Any:
    if isinstance(value, _ATOMS):
        return value
    seen = memo.get(id(value), memo)
    if seen is not memo:
        return seen
    kind = type(value)
    if isinstance(value, node_type) and not hasattr(kind, "__deepcopy__") and hasattr(value, "__dict__"):
        new = object.__new__(kind)
        memo[id(value)] = new
        _keep_alive(value, memo)  # as deepcopy does
        new.__dict__.update({k: _copy(v, memo, node_type) for k, v in value.__dict__.items()})
        return new
    if kind is list:
        new_list: list[Any] = []
        memo[id(value)] = new_list
        _keep_alive(value, memo)
        new_list.extend([_copy(v, memo, node_type) for v in value])
        return new_list
    if kind is dict:
        new_dict: dict[Any, Any] = {}
        memo[id(value)] = new_dict
        _keep_alive(value, memo)
        new_dict.update({_copy(k, memo, node_type): _copy(v, memo, node_type) for k, v in value.items()})
        return new_dict
    return copy.deepcopy(value, memo)

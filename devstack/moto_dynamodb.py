"""Give moto's DynamoDB the cost model of DynamoDB, for the local stack, the tests and the benchmarks.

moto is a functional stand-in for DynamoDB. Several of its costs have nothing to do with DynamoDB's,
and at an association's scale (60,000 members) they dwarf everything the application does:

- **Responses.** moto serialises a result by walking botocore's shape model with a generic
  attribute picker: every AttributeValue tries each of the ten members of the union under two
  spellings, about 20 ms for one member record of thirty fields, so reading 60,000 members
  spent most of an export's time inside moto. DynamoDB's cost is linear in the bytes returned.
  `_FastDynamoJSONSerializer` writes AttributeValue maps directly; its output is byte for byte
  moto's own (tests/unit/test_moto_dynamodb.py compares the two on every attribute type) and
  any value it does not recognise goes through moto's serializer unchanged. A write's
  response (BatchWriteItem, TransactWriteItems, PutItem, DeleteItem) carries no item, only
  moto's consumed capacity per table and empty maps, and a bulk load sends thousands alike:
  each distinct small one is serialised once and its output (a function of the result alone)
  handed out again; the same for UpdateItem (a bulk job records each certificate with one,
  asking for nothing back: the consumed capacity alone).
- **Index queries.** moto's Query collects, filters and sorts every item of the table on every
  page (O(table) per page); DynamoDB reads only the slice of the partition after the page's
  ExclusiveStartKey. Here a partition of an index is sorted once (moto's own sort) and kept
  until the next write to the table, and a page hands moto's own Query code only its slice:
  the filters, limits, the 1 MB page size, projections and LastEvaluatedKey stay moto's. Only
  the shape the application uses is served this way (one hash-key equality on an index, no
  range condition, forward order, a table without a sort key); any other query runs stock.
- **Reads.** moto deep-copies every item a Query returns before filtering and projecting it
  (nothing mutates them: the response is built from fresh dicts), and measures items with a
  `size()` that rebuilds each nested value on every call, twice per item a page (and once per
  item a BatchGetItem). Here the partition's items go to moto's filter and projection as they
  are, and `size()` adds up the same bytes without rebuilding anything, once per item: the size
  is measured when the item is written and kept with it until an update changes it in place (a
  put stores a new item).
- **Projections.** moto projects an item by rebuilding all of it as plain Python values once
  per attribute named (O(attributes²) an item); DynamoDB's cost is the bytes returned. Here
  each top-level attribute is projected once per item (text, booleans and maps and lists of
  them come back unchanged from moto's round trip, so they are handed on as they are; any
  other value is moto's projection of it alone) and kept with the item like its size.
- **Results to plain values.** moto's `dynamo_to_dict`, run on every result before the
  serializer, checks each value against five types in turn; here a stored item's types are
  dispatched by exact type first (the same output; anything else is moto's).
- **Index scans.** moto's Scan of an index sorts every item of the table on every page (a
  Python sort through `DynamoType.__lt__`: seconds a page for 60,000 members, so checking a
  60,000-row import file, which scans the ID-number index, ran for many minutes); DynamoDB
  reads the index in its stored order. Here the sorted list is kept until the next write to
  the table, and moto's own Scan pages, filters and projects it as before.
- **Transactions.** moto deep-copies every table a transaction touches, once per action, to
  roll back on failure: a 100-claim transaction against 60,000 members copied the members table a
  hundred times (gigabytes, minutes). DynamoDB's cost is the items written. Here the items the
  actions name are copied instead, and put back the same way if the transaction is cancelled.
- **Requests.** moto parses a request by walking botocore's shape model like its serializer
  does a response: every AttributeValue looks up each of the ten members of the union, so a
  batch of 25 member records spent most of its time there. `_parse_attribute_value` reads the
  one member an AttributeValue carries directly; the result is moto's own parse (the test
  compares the two on every attribute type), and anything it does not recognise (binary values,
  unexpected shapes) goes through moto's parser unchanged. With moto's default map type
  (`dict`) each value is built directly, not copied into a new dict.
- **Conditions.** moto lexes and parses a condition expression (with regular expressions
  compiled on the way) every time an item is written under it, three times per action of a
  transaction: a 100-claim transaction parsed "attribute_not_exists(#0)" three hundred times.
  DynamoDB's cost is the items written. Here a parse is kept for the same expression, names
  and values (its syntax tree is never changed once built), and moto's own parser makes it.
- **Item writes.** moto checks the 400 KB item limit by re-measuring the whole item after each
  attribute it adds (O(attributes²) per item, most of the time of a bulk load); DynamoDB measures
  an item once. `Item.__init__` here adds up the same sizes once and refuses an item at the same
  point with the same error.

None changes what any request returns; each only removes work DynamoDB does not do. The
local stack, the test suite and the benchmarks all apply it (with the lock of `devstack.atomic`)
through `devstack.fits.fit_moto()`.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

_FITTED: list[bool] = []
# Every write request to a table bumps its generation; a cached index partition is valid only
# for the generation it was built in (and while the table holds as many items).
_GENERATION: dict[str, int] = {}
_ALL_TABLES = "*"
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable",
                    "ListTables", "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource",
                    "DescribeEndpoints", "DescribeLimits"})


def fit_dynamodb() -> None:
    """Idempotent: serialise moto's DynamoDB requests (devstack.atomic), then fit the costs."""
    from devstack.atomic import serialize_dynamodb

    serialize_dynamodb()
    if _FITTED:
        return
    _install_serializer()
    _install_request_parser()
    _install_condition_cache()
    _install_write_tracking()
    _install_indexed_queries()
    _install_indexed_scans()
    _install_item_size_check()
    _install_size()
    _install_projection()
    _install_transactions()
    _FITTED.append(True)


# -- responses ----------------------------------------------------------------------------------

class _Unusual(Exception):
    """A value the direct path does not handle: moto's own serializer writes it."""


def _fast_serializer_class() -> type:
    from moto.core.serialize import JSONSerializer

    class _FastDynamoJSONSerializer(JSONSerializer):
        """moto's JSON serializer, with AttributeValue maps written directly (same output)."""

        def _value(self, v: Any) -> dict[str, Any]:
            if type(v) is not dict or len(v) != 1:
                raise _Unusual
            ((t, x),) = v.items()
            if t in ("S", "N"):
                if type(x) is not str:
                    raise _Unusual
                return {t: x}
            if t in ("BOOL", "NULL"):
                if type(x) is not bool:
                    raise _Unusual
                return {t: x}
            if t == "M":
                if type(x) is not dict:
                    raise _Unusual
                return {t: {k: self._value(sub) for k, sub in x.items()}}
            if t == "L":
                if type(x) is not list:
                    raise _Unusual
                return {t: [self._value(sub) for sub in x]}
            if t in ("SS", "NS"):
                if type(x) is not list or any(type(e) is not str for e in x):
                    raise _Unusual
                return {t: list(x)}
            if t == "B":
                if not isinstance(x, (bytes, str)):
                    raise _Unusual
                return {t: self._base64(x)}
            if t == "BS":
                if type(x) is not list or any(not isinstance(e, (bytes, str)) for e in x):
                    raise _Unusual
                return {t: [self._base64(e) for e in x]}
            raise _Unusual

        def _serialize_type_map(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
            if getattr(shape.value, "name", None) == "AttributeValue" and type(value) is dict:
                try:
                    out = {k: self._value(v) for k, v in value.items()}
                except _Unusual:
                    pass
                else:
                    self._default_serialize(serialized, out, shape, key)
                    return
            super()._serialize_type_map(serialized, value, shape, key)

        def serialize(self, result: Any) -> Any:
            name = self.operation_model.name
            if name not in _KEPT_OPERATIONS or not _small_plain(result, 64):
                return super().serialize(result)
            key = (name, bool(self.pretty_print), repr(result))
            kept = _KEPT_RESPONSES.get(key)
            if kept is None:
                if len(_KEPT_RESPONSES) >= 256:
                    _KEPT_RESPONSES.clear()
                kept = _KEPT_RESPONSES[key] = copy.deepcopy(super().serialize(result))
            return copy.deepcopy(kept)  # the caller adds its headers to the one it gets

        def _serialize_type_structure(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
            if key and shape.name == "AttributeValue":
                try:
                    out = self._value(value)
                except _Unusual:
                    pass
                else:
                    self._default_serialize(serialized, out, shape, key)
                    return
            super()._serialize_type_structure(serialized, value, shape, key)

    return _FastDynamoJSONSerializer


# A write's response carries no item (moto's consumed capacity per table, empty maps), and a
# bulk load sends thousands alike: each distinct one is serialised once (the serializer's
# output is a function of the result alone). An UpdateItem that asks for nothing back (a bulk
# job records each certificate issued with one) answers with its consumed capacity alone.
_KEPT_OPERATIONS = frozenset({"BatchWriteItem", "TransactWriteItems", "PutItem", "DeleteItem", "UpdateItem"})
_KEPT_RESPONSES: dict[tuple[str, bool, str], Any] = {}


def _small_plain(value: Any, budget: int) -> bool:
    """A result of at most `budget` dicts, lists and plain values (whose repr tells them apart)."""
    todo, seen = [value], 0
    while todo:
        v = todo.pop()
        seen += 1
        if seen > budget:
            return False
        kind = type(v)
        if kind is dict:
            if any(type(k) is not str for k in v):
                return False
            todo.extend(v.values())
        elif kind is list:
            todo.extend(v)
        elif kind not in (str, int, float, bool, type(None)):
            return False
    return type(value) is dict


def _install_serializer() -> None:
    from moto.core import serialize
    from moto.dynamodb import responses

    serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault("dynamodb", {})["json"] = _fast_serializer_class()
    _MOTO_TO_DICT.append(responses.dynamo_to_dict)
    responses.dynamo_to_dict = _to_dict  # type: ignore[attr-defined]


_MOTO_TO_DICT: list[Any] = []
_PLAIN = (str, bool, int, float, type(None))


def _to_dict(obj: Any) -> Any:
    """moto's `dynamo_to_dict` (every result goes through it before the serializer), with the
    types of a stored item dispatched by exact type first: the same output, without five
    `isinstance` checks and a `hasattr` on each value of each map. Anything else is moto's."""
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    kind = type(obj)
    if kind is DynamoType:
        if obj.type in ("B", "BS"):
            return _MOTO_TO_DICT[0](obj)
        value = obj.value
        return {obj.type: value if type(value) in _PLAIN else _to_dict(value)}
    if kind is dict or kind is LimitedSizeDict:  # an item's attributes are the latter
        return {k: _to_dict(v) for k, v in obj.items()}
    if kind is list:
        return [_to_dict(v) for v in obj]
    if kind in _PLAIN:
        return obj
    return _MOTO_TO_DICT[0](obj)


# -- requests -----------------------------------------------------------------------------------

_PLAIN = frozenset({"S", "N", "BOOL", "NULL"})


def _parse_attribute_value(value: Any, map_type: Any) -> Any:
    """moto's parse of one AttributeValue (a dict holding one of S, N, BOOL, NULL, SS, NS, M, L),
    or raises `_Unusual` for anything else (binary values, which moto base64-decodes, and
    malformed values go through moto's own parser)."""
    if map_type is dict:
        return _parse_plain(value)
    if type(value) is not dict or len(value) != 1:
        raise _Unusual
    ((t, x),) = value.items()
    if t in _PLAIN:
        if x is None or (type(x) is not (bool if t in ("BOOL", "NULL") else str)):
            raise _Unusual
        return map_type({t: x})
    if t == "M":
        if type(x) is not dict:
            raise _Unusual
        inner = map_type((k, _parse_attribute_value(v, map_type)) for k, v in x.items())
        return map_type({t: inner})
    if t == "L":
        if type(x) is not list:
            raise _Unusual
        return map_type({t: [_parse_attribute_value(v, map_type) for v in x]})
    if t in ("SS", "NS"):
        if type(x) is not list or any(type(e) is not str for e in x):
            raise _Unusual
        return map_type({t: list(x)})
    raise _Unusual


def _parse_plain(value: Any) -> Any:
    """`_parse_attribute_value` for moto's default map type, `dict` (the same values, built
    without a copy of each one-entry dict)."""
    if type(value) is not dict or len(value) != 1:
        raise _Unusual
    ((t, x),) = value.items()
    if t == "S" or t == "N":
        if type(x) is not str:
            raise _Unusual
        return {t: x}
    if t == "M":
        if type(x) is not dict:
            raise _Unusual
        return {t: {k: _parse_plain(v) for k, v in x.items()}}
    if t == "BOOL" or t == "NULL":
        if type(x) is not bool:
            raise _Unusual
        return {t: x}
    if t == "L":
        if type(x) is not list:
            raise _Unusual
        return {t: [_parse_plain(v) for v in x]}
    if t in ("SS", "NS"):
        if type(x) is not list or any(type(e) is not str for e in x):
            raise _Unusual
        return {t: list(x)}
    raise _Unusual


def _dynamodb(parser: Any) -> bool:
    known = parser.__dict__.get("_fit_dynamodb")
    if known is None:
        known = parser.__dict__["_fit_dynamodb"] = parser.operation_model.service_model.endpoint_prefix == "dynamodb"
    return bool(known)


def _install_request_parser() -> None:
    from moto.core.parse import BaseJSONParser

    original = BaseJSONParser._parse_structure
    original_map = BaseJSONParser._parse_map

    def _parse_structure(self: Any, shape: Any, value: Any) -> Any:
        if shape.name == "AttributeValue" and _dynamodb(self):
            try:
                return _parse_attribute_value(value, self.MAP_TYPE)
            except _Unusual:
                pass
        return original(self, shape, value)

    def _parse_map(self: Any, shape: Any, value: Any) -> Any:
        # an item, a key or ExpressionAttributeValues: a map of AttributeValue
        if shape.value.name == "AttributeValue" and type(value) is dict and _dynamodb(self):
            try:
                if self.MAP_TYPE is dict:
                    return {k: _parse_plain(v) for k, v in value.items()}
                return self.MAP_TYPE((k, _parse_attribute_value(v, self.MAP_TYPE)) for k, v in value.items())
            except _Unusual:
                pass
        return original_map(self, shape, value)

    BaseJSONParser._parse_structure = _parse_structure  # type: ignore[method-assign]
    BaseJSONParser._parse_map = _parse_map  # type: ignore[method-assign]
    _MOTO_PARSE[:] = [original, original_map]


_MOTO_PARSE: list[Any] = []  # moto's own structure parser, for the tests


# -- conditions ---------------------------------------------------------------------------------

_PARSED: dict[Any, tuple[Any, list[str], list[str]]] = {}
_PARSED_MAX = 512


def _condition_key(parser: Any) -> Any:
    import json

    names, values = parser.expression_attribute_names, parser.expression_attribute_values
    try:
        return (parser.condition_expression, json.dumps(names, sort_keys=True),
                json.dumps(values, sort_keys=True))
    except (TypeError, ValueError):
        return None  # binary values and the like: parsed every time, as moto does


def _install_condition_cache() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    original = ConditionExpressionParser.parse

    def parse(self: Any) -> Any:
        key = _condition_key(self)
        hit = _PARSED.get(key) if key is not None else None
        if hit is not None:
            tree, names_found, values_found = hit
            self.expr_attr_names_found = list(names_found)
            self.expr_attr_values_found = list(values_found)
            return tree
        tree = original(self)  # errors are raised as moto raises them, and not kept
        if key is not None:
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[key] = (tree, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
        return tree

    ConditionExpressionParser.parse = parse  # type: ignore[method-assign]
    _MOTO_CONDITION_PARSE[:] = [original]


_MOTO_CONDITION_PARSE: list[Any] = []  # moto's own, for the tests


# -- which tables a request wrote -----------------------------------------------------------------

def _written_tables(action: str, body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [_ALL_TABLES]
    if action == "BatchWriteItem":
        return [str(t) for t in (body.get("RequestItems") or {})]
    if action in ("TransactWriteItems", "ExecuteTransaction", "ExecuteStatement", "BatchExecuteStatement"):
        names = []
        for entry in body.get("TransactItems") or []:
            for op in (entry or {}).values():
                if isinstance(op, dict) and op.get("TableName"):
                    names.append(str(op["TableName"]))
        return names if action == "TransactWriteItems" else [_ALL_TABLES]
    name = body.get("TableName")
    return [str(name)] if name else [_ALL_TABLES]


def _bump(names: list[str]) -> None:
    if _ALL_TABLES in names:
        _SIZE_EPOCH[0] += 1
    for name in names:
        _GENERATION[name] = _GENERATION.get(name, 0) + 1


def _generation(table: str) -> tuple[int, int]:
    return _GENERATION.get(table, 0), _GENERATION.get(_ALL_TABLES, 0)


def _install_write_tracking() -> None:
    from moto.dynamodb.responses import DynamoHandler

    from devstack.atomic import _LOCK

    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with _LOCK:
            action = self._get_action() or ""
            reading = action in _READS
            try:
                return original(self)
            finally:
                if not reading:
                    _bump(_written_tables(action, getattr(self, "params", None)))

    call_action._serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


# -- index queries ------------------------------------------------------------------------------------

class _ResultsNotCopied:
    """Stands in for the `copy` module inside moto's Query: the page is handed on uncopied."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return list(value) if isinstance(value, list) else copy.deepcopy(value, memo)

    copy = staticmethod(copy.copy)


def _top_level(projection: Any) -> list[str] | None:
    """The attribute names of a projection of top-level attributes only (else None)."""
    if not projection or not all(isinstance(p, list) and len(p) == 1 for p in projection):
        return None
    return [str(p[0]) for p in projection]


def _verbatim(kind: Any, value: Any) -> bool:
    """True if moto's projection (a round trip through plain Python values) gives this value back
    unchanged: text, booleans, NULL, and maps and lists of those (numbers, for one, come back
    normalised, and sets and binaries change type; those take moto's own path)."""
    if kind == "S":
        return type(value) is str
    if kind == "BOOL":
        return type(value) is bool
    if kind == "NULL":
        return value is True
    if kind == "M":
        return type(value) is dict and all(_verbatim_nested(v) for v in value.values())
    if kind == "L":
        return type(value) is list and all(_verbatim_nested(v) for v in value)
    return False


def _verbatim_nested(value: Any) -> bool:
    from moto.dynamodb.models.dynamo_type import DynamoType

    return type(value) is DynamoType and _verbatim(value.type, value.value)


def _project(item: Any, names: list[str]) -> Any:
    """`item.project([[n] for n in names])`: a new Item with only those attributes, in that order,
    each value as moto's projection gives it (`_projected`), with its size."""
    from moto.dynamodb.models.dynamo_type import Item

    done = _projected(item, [n for n in names if n in item.attrs])
    projected = Item.__new__(Item)
    projected.hash_key, projected.range_key = item.hash_key, item.range_key
    projected.attrs = type(item.attrs).__new__(type(item.attrs))
    sizes = {}
    for n in names:
        if done.get(n) is not None:
            value, sizes[n] = done[n]
            dict.__setitem__(projected.attrs, n, value)
    projected.__dict__["_fit_size"] = (_SIZE_EPOCH[0], sum(sizes.values()), sizes)
    return projected


def _projected(item: Any, names: list[str]) -> dict[str, Any]:
    """name -> (the value moto's projection gives, its size with the name), or None if moto's
    projection drops it; kept with the item like its size. A value moto's round trip through
    plain Python values gives back unchanged is the item's own; the others are moto's projection
    of them alone, on a stand-in item."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.utilities import bytesize

    cached = item.__dict__.get("_fit_projected")
    if cached is None or cached[0] != _SIZE_EPOCH[0]:
        cached = (_SIZE_EPOCH[0], {})
        item.__dict__["_fit_projected"] = cached
    done: dict[str, Any] = cached[1]
    missing = [n for n in names if n not in done]
    if not missing:
        return done
    _, sizes = _sizes(item)
    others = []
    for n in missing:
        value = item.attrs[n]
        if _verbatim(value.type, value.value):
            done[n] = (value, sizes[n])
        else:
            others.append(n)
    if others:
        stand_in = Item.__new__(Item)
        stand_in.hash_key, stand_in.range_key = item.hash_key, item.range_key
        stand_in.attrs = {n: item.attrs[n] for n in others}
        redone = _MOTO_PROJECT[0](stand_in, [[n] for n in others]).attrs
        for n in others:
            done[n] = (redone[n], bytesize(n) + redone[n].size()) if n in redone else None
    return done


_MOTO_PROJECT: list[Any] = []


def _install_projection() -> None:
    """moto's `Item.project` rebuilds the whole item as plain values once per projected
    attribute (O(attributes²) an item: a BatchGetItem of 100 members with 12 attributes named
    spent seconds); DynamoDB's cost is the bytes returned. Top-level names take `_project`."""
    from moto.dynamodb.models.dynamo_type import Item

    original = Item.project
    _MOTO_PROJECT.append(original)

    @functools.wraps(original)
    def project(self: Any, projection_expressions: Any) -> Any:
        names = _top_level(projection_expressions)
        return original(self, projection_expressions) if names is None else _project(self, names)

    Item.project = project  # type: ignore[method-assign]


def _install_indexed_queries() -> None:
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.table import Table

    original = Table.query

    @functools.wraps(original)
    def query(self: Any, hash_key: Any, range_comparison: Any, range_objs: Any, limit: Any,
              exclusive_start_key: Any, scan_index_forward: Any, projection_expressions: Any,
              index_name: Any = None, consistent_read: bool = False, filter_expression: Any = None,
              **kw: Any) -> Any:
        args = (self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                projection_expressions, index_name, consistent_read, filter_expression)
        part = _partition(self, index_name, range_comparison, scan_index_forward, kw)
        if part is None:
            return original(*args, **kw)
        items, position = part
        start = 0
        if exclusive_start_key:
            pk = next(iter(exclusive_start_key[self.hash_key_attr].values()))
            if pk not in position:
                return original(*args, **kw)
            start = position[pk] + 1
        window = items[start:start + ((limit + 1) if limit else 1000)]
        names = _top_level(projection_expressions)
        if names is not None:  # projected below, the way moto would, without rebuilding items
            args = args[:7] + (None,) + args[8:]
        self.all_items = lambda: list(window)  # the instance attribute shadows the method
        table_module.copy = _ResultsNotCopied  # type: ignore[assignment]
        try:
            results, scanned, last = original(*args, **kw)
        finally:
            table_module.copy = copy
            del self.all_items
        if names is not None:
            results = [_project(r, names) for r in results]
        if last is None and window and start + len(window) < len(items):
            last = self._get_last_evaluated_key(window[-1], index_name)
        return results, scanned, last

    Table.query = query  # type: ignore[method-assign,assignment]


def _install_indexed_scans() -> None:
    """moto's Scan of an index, with the sort of the index's items kept until the next write."""
    import threading

    from moto.dynamodb.models.table import Table

    original_scan = Table.scan
    original_sorted = Table.sorted_items
    scanning = threading.local()
    kept: dict[tuple[Any, ...], tuple[tuple[int, int], int, list[Any]]] = {}

    @functools.wraps(original_scan)
    def scan(self: Any, *args: Any, **kw: Any) -> Any:
        scanning.table = self
        try:
            return original_scan(self, *args, **kw)
        finally:
            scanning.table = None

    @functools.wraps(original_sorted)
    def sorted_items(self: Any, hash_key_attrs: Any, range_key_attrs: Any, items: Any) -> Any:
        if getattr(scanning, "table", None) is not self:  # a query, or a scan of another table
            return original_sorted(self, hash_key_attrs, range_key_attrs, items)
        key = (id(self), self.name, tuple(hash_key_attrs), tuple(range_key_attrs))
        generation = _generation(self.name)
        hit = kept.get(key)
        if hit is not None and hit[0] == generation and hit[1] == len(items):
            return list(hit[2])
        result = original_sorted(self, hash_key_attrs, range_key_attrs, items)
        kept[key] = (generation, len(items), list(result))
        return result

    Table.scan = scan  # type: ignore[method-assign]
    Table.sorted_items = sorted_items  # type: ignore[method-assign]


def _has(found: Any, value: Any) -> bool:
    """`found == value` for an item's attribute, which items outside the index lack."""
    return found is not None and bool(found == value)


def _partition(table: Any, index_name: Any, range_comparison: Any, forward: Any,
               kw: dict[str, Any]) -> tuple[list[Any], dict[Any, int]] | None:
    """The index partition the query reads, sorted (cached), or None to run moto's own query."""
    conditions = kw.get("hash_key_conditions") or []
    extra = [k for k, v in kw.items() if v and k != "hash_key_conditions"]
    if not index_name or range_comparison or extra or forward is False or len(conditions) != 1:
        return None
    if table.range_key_attr:
        return None
    try:
        index = table.get_index(index_name)
    except Exception:  # moto raises its own "invalid index" error on the stock path
        return None
    hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(hash_keys) != 1 or len(range_keys) != 1:
        return None
    attr, value = conditions[0]
    if attr != hash_keys[0]:
        return None
    cache: dict[Any, Any] = table.__dict__.setdefault("_fit_partitions", {})
    key = (index_name, attr, str(value.type), str(value.value))
    stamp = (_generation(table.name), len(table.items))
    cached = cache.get(key)
    if cached is None or cached[0] != stamp:
        part = [it for it in table.all_items()
                if _has(it.attrs.get(attr), value) and it.attrs.get(range_keys[0])]
        part = table.sorted_items(hash_keys + [table.hash_key_attr], range_keys + [None], part)
        cached = (stamp, part, {it.hash_key.value: i for i, it in enumerate(part)})
        for stale in [k for k, v in cache.items() if v[0] != stamp]:
            del cache[stale]
        cache[key] = cached
    return cached[1], cached[2]


# -- item writes ------------------------------------------------------------------------------------

def _install_item_size_check() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        built = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(built)
        size, sizes = 0, {}
        for key, value in attrs.items():
            typed = DynamoType(value)
            # what LimitedSizeDict.__setitem__ adds up before each insert, kept as a running sum
            sizes[key] = bytesize(key) + typed.size()
            size += sizes[key]
            if size > ITEM_LIMIT:
                raise ItemSizeTooLarge
            dict.__setitem__(built, key, typed)
        self.attrs = built
        self.__dict__["_fit_size"] = (_SIZE_EPOCH[0], size, sizes)  # what `Item.size()` reads

    Item.__init__ = __init__  # type: ignore[method-assign]


# moto's LimitedSizeDict limit (DynamoDB's 400 KB, as moto measured it)
ITEM_LIMIT = 405000


# -- reads: item sizes ---------------------------------------------------------------------------------

def dynamo_size(value: Any) -> int:
    """moto's `DynamoType.size()`, the same sum, without rebuilding nested values as it goes."""
    if not _MOTO_NAMES:
        _bind_moto_names()
    DynamoType, bytesize = _MOTO_NAMES  # noqa: N806 (moto's class)
    kind, raw = value.type, value.value
    if kind == "N":
        return len(str(raw))
    if kind in ("SS", "NS", "BS"):
        if kind == "NS":
            return sum(len(str(v)) for v in raw)
        return sum(bytesize(v) for v in raw)
    if kind == "L":
        return sum(dynamo_size(v) for v in raw)
    if kind == "M":
        return sum(bytesize(k) + dynamo_size(v if type(v) is DynamoType else DynamoType(v)) for k, v in raw.items())
    if isinstance(raw, bool):
        return 1
    return bytesize(raw)


_MOTO_NAMES: list[Any] = []  # DynamoType, bytesize (an import per call was most of the cost)


def _bind_moto_names() -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize

    _MOTO_NAMES[:] = [DynamoType, bytesize]


def _install_size() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    _MOTO_SIZE.append(DynamoType.size)
    DynamoType.size = dynamo_size  # type: ignore[method-assign,assignment]

    def item_size(self: Any) -> int:
        """An item's size, measured once and kept with the item until a write changes it."""
        return _sizes(self)[0]

    Item.size = item_size  # type: ignore[method-assign]

    # A put (single, batch, transaction, PartiQL) stores a new Item, which has no size yet; a
    # delete drops the item. Only an update changes an item in place (an UpdateItem, or the
    # Update action of a transaction, which moto runs through the same method): its size is
    # forgotten whether the update succeeds or fails half-way.
    original_update = DynamoDBBackend.update_item

    @functools.wraps(original_update)
    def update_item(self: Any, table_name: str, key: Any, *args: Any, **kw: Any) -> Any:
        before = _stored_item(self, table_name, key)
        try:
            result = original_update(self, table_name, key, *args, **kw)
        finally:
            _forget_size(before)
            _forget_size(_stored_item(self, table_name, key))
        return result

    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def _sizes(item: Any) -> tuple[int, dict[str, int]]:
    """(the item's size, the size of each attribute with its name), kept with the item."""
    from moto.dynamodb.models.utilities import bytesize

    cached = item.__dict__.get("_fit_size")
    if cached is not None and cached[0] == _SIZE_EPOCH[0]:
        return cached[1], cached[2]
    sizes = {key: bytesize(key) + value.size() for key, value in item.attrs.items()}
    total = sum(sizes.values())
    item.__dict__["_fit_size"] = (_SIZE_EPOCH[0], total, sizes)
    return total, sizes


def _forget_size(item: Any) -> None:
    if item is not None:
        item.__dict__.pop("_fit_size", None)
        item.__dict__.pop("_fit_projected", None)


def _stored_item(backend: Any, table_name: str, key: Any) -> Any:
    """The stored item an update names, or None (moto's own code reports a bad key or table)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        table = backend.tables.get(table_name)
        if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
            return None
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
        return table.get_item(DynamoType(key[table.hash_key_attr]), range_key)
    except Exception:
        return None


# Kept sizes are valid in this epoch; a write whose items cannot be told (a PartiQL statement)
# starts a new one, so nothing measured before it is trusted after it.
_SIZE_EPOCH: list[int] = [0]


_MOTO_SIZE: list[Any] = []  # moto's own, kept for the test that compares the two


# -- transactions --------------------------------------------------------------------------------------

class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's transaction: tables are not backed up whole
    (the items the transaction names are, by `_install_transactions`)."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    copy = staticmethod(copy.copy)


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]] | None:
    """(table, hash key, range key, a copy of the item or None) for each item the actions name;
    None if an action is malformed (moto's own code then validates it, with its own backups)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    undo, seen = [], set()
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            return None
        op = next(iter(entry.values()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None:
            return None
        attrs = op.get("Item") if "Item" in op else op.get("Key")
        if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
            return None
        if table.range_key_attr and table.range_key_attr not in attrs:
            return None
        try:
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            current = table.get_item(hash_key, range_key)
        except Exception:  # a malformed key: moto's own path raises the right error
            return None
        mark = (table.name, str(hash_key.type), str(hash_key.value), str(range_key and range_key.value))
        if mark not in seen:
            seen.add(mark)
            undo.append((table, hash_key, range_key, copy.deepcopy(current) if current is not None else None))
    return undo


def _restore(table: Any, hash_key: Any, range_key: Any, old: Any) -> None:
    if range_key is None:
        if old is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = old
        return
    bucket = table.items.get(hash_key)
    if old is None:
        if bucket is not None:
            bucket.pop(range_key, None)
    else:
        table.items.setdefault(hash_key, {})[range_key] = old


def _install_transactions() -> None:
    from moto.dynamodb import models as backend_module
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo = _touched(self, transact_items) if len(transact_items) <= 100 else None
        if undo is None:
            return original(self, transact_items)
        backend_module.copy = _TablesNotCopied  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(undo):
                _restore(table, hash_key, range_key, old)
            raise
        finally:
            backend_module.copy = copy

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

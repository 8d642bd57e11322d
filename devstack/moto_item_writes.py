"""moto's DynamoDB writes each item once, not three times: the cost model of a bulk load.

Why this exists: importing 60,000 members writes 240,000 items (ID claims in transactions,
then member, account and audit items in BatchWriteItem), and the local stack's one moto server
process is what bounds the import. For every item it puts, moto walks the whole parsed item
three times before storing it (DynamoDB measures and validates an item once):

- `Table._validate_item_types` walks every value for malformed numbers and types;
- `Table._validate_key_sizes` builds the key attributes again to measure them;
- `Item.__init__` builds the item's `DynamoType` values and measures each attribute for the
  400 KB limit (devstack/moto_dynamodb.py already made that one measurement, not one per
  attribute added).

Here, inside `Table.put_item`, the validation walk also builds each attribute's `DynamoType`
and measures it; the key-size check reads those sizes and `Item.__init__` takes the built
values, for that very item (the same dict) in that same put. The walk validates exactly what
moto's validation does, at the same point and with moto's own number check, and it hands any
value it does not recognise (an attribute named "N", "S" or "NULL", a malformed or binary
value, a value of an unexpected Python type) back to moto's own code for the whole item, so
every error is moto's, raised in moto's order.

A BatchWriteItem also refuses two equal write requests; moto decides that by dumping every item
of the batch to JSON and comparing the texts. Here the texts are made only for items that could
be equal (the same attribute names in the same order and the same text values); two items
that differ there cannot have the same JSON.

tests/integration/core/test_moto_item_writes.py puts the same items, good and bad, through
stock moto and the fitted one and compares what is stored and every error.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_FITTED: list[bool] = []
# moto's own functions, for the tests that compare
STOCK: dict[str, Any] = {}


class _Unusual(Exception):
    """A value the walk does not handle: moto's own code validates and builds the item."""


# Attribute names moto's validation treats as type tags wherever it meets them.
_TAG_NAMES = frozenset({"N", "S", "NULL"})
_GENERIC = frozenset({"SS", "NS", "BS", "B"})


class _Put(threading.local):
    table: Any = None  # the table whose put_item is running
    attrs: Any = None  # the item dict the walk built ...
    built: list[tuple[str, Any, int, int]] | None = None  # ... (name, DynamoType, size with name, size)


_PUT = _Put()


def fit_item_writes() -> None:
    """Idempotent: one walk per item put (moto's validation, building and measuring)."""
    if _FITTED:
        return
    from moto.dynamodb.models.dynamo_type import DynamoType

    _DYNAMO_TYPE[:] = [DynamoType]
    _install_put()
    _install_duplicate_check()
    _FITTED.append(True)


# -- the walk ---------------------------------------------------------------------------------------

_DYNAMO_TYPE: list[Any] = []


def _walk(table: Any, value: Any, check: bool) -> tuple[Any, int]:
    """(DynamoType(value), its `size()`), validating it as moto's `_validate_item_types` would
    (numbers with moto's own check) when `check` (moto does not look inside lists)."""
    DynamoType = _DYNAMO_TYPE[0]  # noqa: N806 (moto's class; bound once: an import per value cost more)
    if type(value) is not dict or len(value) != 1:
        raise _Unusual
    ((t, x),) = value.items()
    typed = DynamoType.__new__(DynamoType)
    typed.type = t
    if t == "S":
        if type(x) is not str:
            raise _Unusual
        typed.value = x
        return typed, len(x.encode("utf-8"))
    if t == "N":
        if type(x) is not str:
            raise _Unusual
        if check:
            table._validate_number_type(x)
        typed.value = x
        return typed, len(x)
    if t == "BOOL" or t == "NULL":
        if x is not True and (x is not False or (check and t == "NULL")):
            raise _Unusual
        typed.value = x
        return typed, 1
    if t == "M":
        if type(x) is not dict:
            raise _Unusual
        inner, size = {}, 0
        for k, v in x.items():
            if type(k) is not str or (check and k in _TAG_NAMES):
                raise _Unusual
            inner[k], s = _walk(table, v, check)
            size += len(k.encode("utf-8")) + s
        typed.value = inner
        return typed, size
    if t == "L":
        if type(x) is not list:
            raise _Unusual
        elements, size = [], 0
        for v in x:
            element, s = _walk(table, v, False)
            elements.append(element)
            size += s
        typed.value = elements
        return typed, size
    if t in _GENERIC and type(x) in (list, bytes, str):  # moto validates nothing in these
        try:
            typed = DynamoType(value)
            return typed, typed.size()
        except Exception:
            raise _Unusual from None
    raise _Unusual


def _walk_item(table: Any, attrs: Any) -> list[tuple[str, Any, int, int]]:
    if type(attrs) is not dict:
        raise _Unusual
    built = []
    for name, value in attrs.items():
        if type(name) is not str or name in _TAG_NAMES:
            raise _Unusual
        try:
            typed, size = _walk(table, value, True)
            built.append((name, typed, len(name.encode("utf-8")) + size, size))
        except UnicodeEncodeError:  # moto meets it later, when it measures: let it
            raise _Unusual from None
    return built


# -- Table.put_item -----------------------------------------------------------------------------------

def _install_put() -> None:
    from moto.dynamodb.exceptions import HashKeyTooLong, ItemSizeTooLarge, RangeKeyTooLong
    from moto.dynamodb.limits import HASH_KEY_MAX_LENGTH, RANGE_KEY_MAX_LENGTH
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict
    from moto.dynamodb.models.table import Table

    from devstack import moto_dynamodb

    put_item, validate_types = Table.put_item, Table._validate_item_types
    validate_key_sizes, item_init = Table._validate_key_sizes, Item.__init__
    STOCK.update(put_item=put_item, validate_types=validate_types, validate_key_sizes=validate_key_sizes,
                 item_init=item_init)

    @functools.wraps(put_item)
    def fitted_put_item(self: Any, *args: Any, **kw: Any) -> Any:
        outer = _PUT.table, _PUT.attrs, _PUT.built
        _PUT.table, _PUT.attrs, _PUT.built = self, None, None
        try:
            return put_item(self, *args, **kw)
        finally:
            _PUT.table, _PUT.attrs, _PUT.built = outer

    @functools.wraps(validate_types)
    def fitted_validate_types(self: Any, item_attrs: Any, attr: Any = None) -> None:
        if attr is None and _PUT.table is self:
            try:
                built = _walk_item(self, item_attrs)
            except _Unusual:
                pass  # moto validates (and later builds) the whole item itself
            else:
                _PUT.attrs, _PUT.built = item_attrs, built
                return
        validate_types(self, item_attrs, attr)

    @functools.wraps(validate_key_sizes)
    def fitted_validate_key_sizes(self: Any, item_attrs: Any) -> None:
        if _PUT.table is not self or _PUT.attrs is not item_attrs or _PUT.built is None:
            return validate_key_sizes(self, item_attrs)
        sizes = {name: size for name, _, _, size in _PUT.built}
        for names, limit, error in ((self.hash_key_names, HASH_KEY_MAX_LENGTH, HashKeyTooLong),
                                    (self.range_key_names, RANGE_KEY_MAX_LENGTH, RangeKeyTooLong)):
            for name in names:
                if item_attrs.get(name) and sizes[name] > limit:
                    raise error
        return None

    @functools.wraps(item_init)
    def fitted_item_init(self: Any, hash_key: Any, range_key: Any, attrs: Any) -> None:
        built = _PUT.built
        if built is None or _PUT.attrs is not attrs:
            return item_init(self, hash_key, range_key, attrs)
        _PUT.attrs, _PUT.built = None, None  # used once
        self.hash_key, self.range_key = hash_key, range_key
        stored = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(stored)
        total, sizes = 0, {}
        for name, typed, size, _ in built:
            total += size
            if total > moto_dynamodb.ITEM_LIMIT:
                raise ItemSizeTooLarge
            sizes[name] = size
            dict.__setitem__(stored, name, typed)
        self.attrs = stored
        self.__dict__["_fit_size"] = (moto_dynamodb._SIZE_EPOCH[0], total, sizes)  # what `Item.size()` reads
        return None

    Table.put_item = fitted_put_item  # type: ignore[method-assign]
    Table._validate_item_types = fitted_validate_types  # type: ignore[method-assign]
    Table._validate_key_sizes = fitted_validate_key_sizes  # type: ignore[method-assign]
    Item.__init__ = fitted_item_init  # type: ignore[method-assign]


# -- BatchWriteItem's duplicate check ------------------------------------------------------------------

class _Dumped:
    """moto's JSON text of a write request's item, made only when compared with an item that
    could have the same text."""

    __slots__ = ("obj", "sig", "_text")

    def __init__(self, obj: Any) -> None:
        self.obj, self.sig = obj, _signature(obj)
        self._text: str | None = None

    def text(self) -> str:
        text = self._text
        if text is None:
            text = self._text = str(STOCK["dump"](self.obj))
        return text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Dumped):
            return NotImplemented
        if self.sig is not None and other.sig is not None and self.sig != other.sig:
            return False
        return self.text() == other.text()

    def __hash__(self) -> int:
        return hash(self.text())


def _signature(obj: Any) -> tuple[Any, ...] | None:
    """The names of an item's attributes in order and its text values: equal JSON texts have
    equal signatures (None: an item this does not describe; its text is always compared)."""
    if type(obj) is not dict:
        return None
    texts = []
    for name, value in obj.items():
        if type(name) is not str or type(value) is not dict or len(value) != 1:
            return None
        ((t, x),) = value.items()
        if type(t) is not str:
            return None
        if t == "S" or t == "N":
            if type(x) is not str:
                return None
            texts.append(x)
    return tuple(obj), tuple(texts)


def _install_duplicate_check() -> None:
    from moto.dynamodb import responses

    STOCK["dump"] = responses.dynamo_json_dump
    # moto's responses module uses this name only for BatchWriteItem's duplicate check, whose
    # `_contains_duplicates` compares the results with `in` (==)
    responses.dynamo_json_dump = _Dumped  # type: ignore[assignment]

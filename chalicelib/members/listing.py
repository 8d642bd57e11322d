"""Listing the members of one association: a Query on `by_association`, never a Scan.

The staff landing view pages through one association's partition of the index in member-number
order, so a page costs the same whatever the size of the table.

Filters other than the member-number prefix are a FilterExpression, which DynamoDB applies after
reading: a page of the index can come back with fewer rows than asked for, or none. So a page
keeps querying until it holds `limit` rows or the partition is exhausted, and the cursor is built
from the last row it RETURNED (not DynamoDB's LastEvaluatedKey, which may lie beyond rows that
matched but did not fit), so nothing is skipped or repeated between pages. A selective filter on a
very large association is bounded by a read budget: when it is spent the page comes back short
with `partial: true` and a cursor at the last key DynamoDB evaluated, which is exact too.

`q` is one search box: digits only and at most 12 characters is a member-number prefix (a key
condition, cheap); anything else that looks like an ID number (letters/digits with at least one
digit) is an exact ID-number match through `by_id_number`; the rest is "name contains".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from pynamodb.expressions.condition import Condition

from chalicelib.cursor import decode_cursor, encode_cursor
from chalicelib.errors import BadRequest
from chalicelib.item_reads import read_items_directly
from chalicelib.members.models import MemberModel
from chalicelib.members.schema import ID_TYPES
from chalicelib.members.views import PHOTO_STATUSES, STATUSES
from chalicelib.principal import is_member_no

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Items DynamoDB may evaluate for one page before a filtered page is returned short. ~20k items
# is ~30 MB of reads (1-2 s on DynamoDB), well inside API Gateway's 29 s.
READ_BUDGET = 20_000

_MEMBER_PREFIX = re.compile(r"^\d{1,12}$")
_ID_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9()\-]{5,30}$")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    id_number: str = ""
    id_type: str = ""
    photo_status: str = ""
    complete: bool | None = None
    status: str = ""

    @property
    def q_kind(self) -> str:
        if not self.q:
            return ""
        if _MEMBER_PREFIX.match(self.q):
            return "prefix"
        return "id" if _ID_LIKE.match(self.q) else "name"

    @property
    def id_query(self) -> str:
        """The exact ID number to look up, if the search is by ID number."""
        return self.id_number or (self.q.upper() if self.q_kind == "id" else "")

    @property
    def prefix(self) -> str:
        return self.q if self.q_kind == "prefix" else ""

    @property
    def name(self) -> str:
        return self.q if self.q_kind == "name" else ""


@dataclass
class Page:
    items: list[MemberModel] = field(default_factory=list)
    next_cursor: str | None = None
    partial: bool = False
    scanned: int = 0  # items DynamoDB evaluated (the cost of the page)


def _bad(message: str) -> BadRequest:
    return BadRequest(message, code="INVALID_FILTER")


def parse_filters(query: Mapping[str, str]) -> Filters:
    """Filters from the query string; unknown values are refused, not ignored."""
    q = str(query.get("q") or "").strip()
    if len(q) > 50:
        raise _bad("查询内容过长")
    id_number = str(query.get("id_number") or "").strip().upper().replace(" ", "")
    if id_number and not re.match(r"^[A-Z0-9()\-]{1,30}$", id_number):
        raise _bad("证件号码格式不正确")
    id_type = str(query.get("id_type") or "").strip()
    if id_type and id_type not in ID_TYPES:
        raise _bad("证件类型不正确")
    photo_status = str(query.get("photo_status") or "").strip()
    if photo_status and photo_status not in PHOTO_STATUSES:
        raise _bad("照片状态不正确")
    status = str(query.get("status") or "").strip()
    if status and status not in STATUSES:
        raise _bad("会籍状态不正确")
    raw_complete = str(query.get("complete") or "").strip().lower()
    if raw_complete not in ("", "true", "false", "1", "0"):
        raise _bad("信息完整性筛选条件不正确")
    complete = None if raw_complete == "" else raw_complete in ("true", "1")
    return Filters(q=q, id_number=id_number, id_type=id_type, photo_status=photo_status,
                   complete=complete, status=status)


def parse_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(str(raw))
    except ValueError:
        raise _bad("每页条数不正确") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad(f"每页条数应在1到{MAX_LIMIT}之间")
    return limit


def _filter_condition(f: Filters) -> Condition | None:
    parts: list[Condition] = []
    if f.name:
        parts.append(MemberModel.name.contains(f.name))
    if f.photo_status:
        parts.append(MemberModel.photo_status == f.photo_status)
    if f.complete is not None:
        parts.append(MemberModel.complete == f.complete)
    if f.status:
        parts.append(MemberModel.status == f.status)
    cond: Condition | None = None
    for part in parts:
        cond = part if cond is None else cond & part
    return cond


def _matches(m: MemberModel, f: Filters) -> bool:
    """The filter condition, in Python (for the few rows an ID-number lookup finds)."""
    return ((not f.name or f.name in (m.name or ""))
            and (not f.photo_status or m.photo_status == f.photo_status)
            and (f.complete is None or bool(m.complete) == f.complete)
            and (not f.status or m.status == f.status))


def find_by_id_number(id_number: str, id_type: str = "") -> list[str]:
    """Member numbers holding this ID number (any association), via the keys-only index."""
    found: set[str] = set()
    for t in ([id_type] if id_type else ID_TYPES):
        key = MemberModel.make_id_key(t, id_number)
        if key:
            found.update(hit.member_no for hit in MemberModel.by_id_number.query(key))
    return sorted(found)


def _by_id(association: str, f: Filters) -> list[MemberModel]:
    numbers = find_by_id_number(f.id_query, f.id_type)
    members = list(MemberModel.batch_get(numbers)) if numbers else []
    hits = [m for m in members if m.association == association and _matches(m, f)]
    if f.prefix:
        hits = [m for m in hits if m.member_no.startswith(f.prefix)]
    return sorted(hits, key=lambda m: m.member_no)


_EXHAUSTED = object()


def _start_key(association: str, cursor: str | None, prefix: str) -> Any:
    value = decode_cursor(cursor)
    if value is None:
        return None
    member_no = value.get("m")
    if not isinstance(member_no, str) or not is_member_no(member_no):
        raise BadRequest("分页参数无效,请从第一页重新查询", code="INVALID_CURSOR")
    if prefix and not member_no.startswith(prefix):
        # DynamoDB refuses a start key outside the key condition: before the range means
        # "from the start", after it means "nothing left".
        return None if member_no < prefix else _EXHAUSTED
    return {"member_no": {"S": member_no}, "association": {"S": association}}


def _cursor_after(member_no: str) -> str | None:
    return encode_cursor({"m": member_no})


def list_page(association: str, f: Filters, cursor: str | None = None, limit: int = DEFAULT_LIMIT,
              *, read_budget: int = READ_BUDGET) -> Page:
    """One page of an association's members in member-number order."""
    if f.id_query:
        if cursor:
            return Page()
        hits = _by_id(association, f)
        return Page(hits[:limit])
    start = _start_key(association, cursor, f.prefix)
    if start is _EXHAUSTED:
        return Page()
    cond = _filter_condition(f)
    size = limit + 1  # one more than the page: tells "is there a next page" without a 2nd call
    results = MemberModel.by_association.query(
        association,
        range_key_condition=MemberModel.member_no.startswith(f.prefix) if f.prefix else None,
        filter_condition=cond, last_evaluated_key=start, page_size=size)
    pages = results.page_iter
    page = Page()
    for raw_page in pages:
        page.scanned += int(raw_page.get("ScannedCount", 0))
        for raw in raw_page.get("Items", []):
            if len(page.items) == limit:
                page.next_cursor = _cursor_after(page.items[-1].member_no)
                return page
            page.items.append(MemberModel.from_raw_data(raw))
        last = pages.last_evaluated_key
        if last is None:
            return page
        if page.scanned >= read_budget:
            if len(page.items) == limit:
                page.next_cursor = _cursor_after(page.items[-1].member_no)
            else:
                # Everything up to `last` has been evaluated: resuming there skips nothing.
                page.next_cursor = _cursor_after(last["member_no"]["S"])
                page.partial = True
            return page
        if cond is not None:
            size = min(size * 4, 1000)  # a selective filter: read more per round trip
            pages.page_size = size
    return page


def member_numbers(association: str, f: Filters, *, only_complete: bool = False) -> Iterator[str]:
    """The numbers of every matching member of the association (export, bulk certificates), in
    member-number order; with `only_complete`, of those whose record is complete.

    Only the member number (and `complete`) comes back (a ProjectionExpression; the filters still
    apply to whole items), read as DynamoDB returns it: planning a job over 60,000 members needs
    their numbers, not 60,000 models built and thrown away.
    """
    if f.id_query:
        yield from (m.member_no for m in _by_id(association, f) if not only_complete or m.complete)
        return
    connection = MemberModel._get_connection()
    read_items_directly(connection.connection.client)
    wanted = ["member_no", "complete"] if only_complete else ["member_no"]
    start: Any = None
    while True:
        page = connection.query(
            association, index_name=MemberModel.by_association.Meta.index_name,
            range_key_condition=MemberModel.member_no.startswith(f.prefix) if f.prefix else None,
            filter_condition=_filter_condition(f), attributes_to_get=wanted, exclusive_start_key=start)
        for item in page.get("Items", []):
            # `complete` as the model reads it: absent or NULL is its default, False
            if not only_complete or item.get("complete") == {"BOOL": True}:
                yield item["member_no"]["S"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def count(association: str, f: Filters) -> int:
    """Select=COUNT over the association's partition: O(association size) reads, no items."""
    if f.id_query:
        return len(_by_id(association, f))
    return MemberModel.by_association.count(
        association,
        range_key_condition=MemberModel.member_no.startswith(f.prefix) if f.prefix else None,
        filter_condition=_filter_condition(f))

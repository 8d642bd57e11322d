"""The streaming .xlsx value reader, on hand-written SpreadsheetML: what Excel, WPS and
LibreOffice write beyond what openpyxl writes (shared strings with rich text and phonetic
runs, namespace prefixes, 1904 dates, ISO dates, missing cell references), and its defences."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import datetime

import pytest

from chalicelib.members import xlsx

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/worksheets/sheet2.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')

PACKAGE_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>')


def book(sheet_xml: str, shared: str | None = None, styles: str | None = None, date1904: bool = False,
         extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", PACKAGE_RELS)
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
    # In workbook order (not part order); the second element is what rows() takes.
    assert wb.sheets == [("说明", "说明"), ("会员信息", "会员信息")]


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
             '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>甲</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row>'
             '<x:row r="2"><x:c r="B2"><x:v>3</x:v></x:c></x:row>'
             '</x:sheetData></x:worksheet>')
    assert rows(book(sheet)) == [(1, ["甲", 2]), (2, [None, 3])]
    # A cell without its reference could only be placed by counting, which a hostile file abuses
    # (thousands of empty cells before one value): refused with a way out for staff.
    unplaced = sheet.replace('<x:c r="B1">', "<x:c>")
    with pytest.raises(xlsx.XlsxError) as err:
        rows(book(unplaced))
    assert "另存为" in err.value.message


def test_refuses_dtds_and_oversized_or_broken_archives(monkeypatch):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            f'<worksheet {NS}><sheetData><row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    with pytest.raises(xlsx.XlsxError):
        rows(book(bomb))
    with pytest.raises(xlsx.XlsxError):
        xlsx.Workbook(b"PK\x03\x04 broken")
    whole = zipfile.ZipFile(io.BytesIO(book(f'<worksheet {NS}/>')))
    without_workbook = io.BytesIO()
    with zipfile.ZipFile(without_workbook, "w") as z:
        for info in whole.infolist():
            if info.filename != "xl/workbook.xml":
                z.writestr(info, whole.read(info))
    with pytest.raises(xlsx.XlsxError):
        xlsx.Workbook(without_workbook.getvalue())
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


# -- hostile archives: refused from the zip directory and the raw XML, before any parsing --------

def _far_column_sheet(rows_count: int) -> str:
    body = "".join(f'<row r="{i}"><c r="ZZZ{i}" t="inlineStr"><is><t>x</t></is></c></row>'
                   for i in range(1, rows_count + 1))
    return f'<worksheet {NS}><sheetData>{body}</sheetData></worksheet>'


def test_amplifying_far_column_is_refused_with_a_chinese_message():
    data = book(_far_column_sheet(20_000))
    assert len(data) < 200 * 1024  # cheap to send; a rectangular reader would build 365 M cells
    with pytest.raises(xlsx.XlsxError) as err:
        xlsx.Workbook(data)
    assert "超过 64 列" in err.value.message
    from chalicelib.members import excel

    with pytest.raises(excel.WorkbookError) as werr:
        excel.parse(data, max_rows=20_000)
    assert "导入上限" in werr.value.message


def test_columns_up_to_the_cap_are_read():
    sheet = (f'<worksheet {NS}><sheetData><row r="1"><c r="A1"><v>1</v></c>'
             f'<c r="BL1"><v>2</v></c></row></sheetData></worksheet>')
    ((number, values),) = rows(book(sheet))
    assert number == 1 and len(values) == xlsx.MAX_COLUMNS and values[0] == 1 and values[-1] == 2
    with pytest.raises(xlsx.XlsxError):
        rows(book(sheet.replace("BL1", "BM1")))


def test_far_rows_and_too_many_cells_are_refused(monkeypatch):
    far = f'<worksheet {NS}><sheetData><row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData></worksheet>'
    with pytest.raises(xlsx.XlsxError, match=""):
        xlsx.Workbook(book(far))
    monkeypatch.setattr(xlsx, "MAX_CELLS", 10)
    many = f'<worksheet {NS}><sheetData><row r="1">' + "".join(
        f'<c r="A{i}"><v>1</v></c>' for i in range(1, 12)) + '</row></sheetData></worksheet>'
    with pytest.raises(xlsx.XlsxError) as err:
        xlsx.Workbook(book(many))
    assert "单元格过多" in err.value.message


def test_zip_bomb_is_refused_from_its_declared_size():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * (xlsx.MAX_PART_BYTES + 1) + b"</sst>")
    with pytest.raises(xlsx.XlsxError) as err:
        xlsx.Workbook(buf.getvalue())
    assert "解压后过大" in err.value.message


def test_lying_declared_size_is_caught_by_inflating():
    # The directory says 100 bytes; the deflate stream really holds 10 MB (CRC made to match the
    # first 100 bytes, so a reader that trusts the header and checks CRC on what it read agrees).
    payload = b"<a>" + b" " * (10 * 1024 * 1024)
    real = book(f'<worksheet {NS}><sheetData/></worksheet>', extra={"xl/pad.xml": payload})
    archive = zipfile.ZipFile(io.BytesIO(real))
    info = archive.getinfo("xl/pad.xml")
    data = bytearray(real)
    fake_size = struct.pack("<I", 100)
    fake_crc = struct.pack("<I", zlib.crc32(payload[:100]))
    for offset in (info.header_offset + 14,):  # local header: crc, compressed size, size
        data[offset:offset + 4] = fake_crc
        data[offset + 8:offset + 12] = fake_size
    # and the part's entry in the central directory
    name = b"xl/pad.xml"
    pos = bytes(data).find(b"PK\x01\x02", info.header_offset)
    while pos >= 0 and bytes(data[pos + 46:pos + 46 + len(name)]) != name:
        pos = bytes(data).find(b"PK\x01\x02", pos + 4)
    assert pos >= 0
    data[pos + 16:pos + 20] = fake_crc
    data[pos + 24:pos + 28] = fake_size
    with pytest.raises(xlsx.XlsxError) as err:
        xlsx.Workbook(bytes(data))
    assert "与声明不符" in err.value.message


@pytest.mark.parametrize("cell", ['<c s="0" r="ZZZ2">', '<c\nr="ZZZ2">', '<c t="n"\tr="A120001">'])
def test_far_references_in_any_attribute_layout_are_refused(cell):
    sheet = (f'<worksheet {NS}><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
             f'<row r="2">{cell}<v>2</v></c></row></sheetData></worksheet>')
    with pytest.raises(xlsx.XlsxError) as err:
        xlsx.Workbook(book(sheet))
    assert "导入上限" in err.value.message
    fine = sheet.replace("ZZZ2", "B2").replace("A120001", "B2")
    assert rows(book(fine))[-1] == (2, [None, 2])

"""Excel workbooks for members (导入模板, import parsing, export), driven by the field schema.

Pure: bytes in, bytes or plain values out; nothing here knows about DynamoDB or HTTP.

- The template has one column per importable field (the association is the staff's own and is
  not a column), Chinese headers with "*" on the fields a certificate needs, a drop-down on
  every option column (the lists live on a hidden sheet: an inline list is limited to 255
  characters), every column formatted as text (18-digit ID numbers, leading zeros and dates stay
  as typed) and an instructions sheet (说明).
- Export cells are string cells; member text that a spreadsheet would run as a formula is
  escaped (see chalicelib/spreadsheet_safety.py), and the escape is undone on re-import.
- Parsing finds the header row by its labels (with or without "*", in any order, extra columns
  ignored), so an export can be edited and imported again. Real Excel dates are accepted.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any, Iterable, Mapping

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from chalicelib.members import xlsx
from chalicelib.members.schema import (
    ASSOCIATION_NAMES,
    FIELDS,
    FIELDS_BY_KEY,
    MEMBER_STATUS_LABELS,
    PHOTO_STATUS_LABELS,
    Field,
)
from chalicelib.spreadsheet_safety import unescape_import, xlsx_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "会员信息"
OPTIONS_SHEET = "选项"
HELP_SHEET = "说明"
TEMPLATE_ROWS = 20_000  # rows that carry the drop-downs and the text format
HEADER_SEARCH_ROWS = 10

# The columns of the template, in schema order.
TEMPLATE_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.importable and f.key != "association")
# Labels an import understands, with the "*" stripped.
_BY_LABEL: dict[str, Field] = {f.label: f for f in FIELDS}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FONT = Font(bold=True)



def header_label(f: Field) -> str:
    return f"{f.label}*" if f.required else f.label


def _hint(f: Field) -> str:
    if f.type == "date":
        return "格式:YYYY-MM-DD,例如 2020-06-30"
    if f.type == "select":
        return "请从下拉选项中选择"
    return f.hint or {
        "mobile": "11位手机号码;境外号码以+国家代码开头",
        "email": "例如 name@example.com",
        "postal_code": "6位数字",
        "qq": "5至12位数字",
        "phone": "例如 010-12345678",
        "id_number": "居民身份证为18位,末位可为X",
    }.get(f.type, "")


def build_template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    options = wb.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    last_row = TEMPLATE_ROWS + 1
    option_col = 0
    for col, f in enumerate(TEMPLATE_FIELDS, start=1):
        letter = get_column_letter(col)
        cell = ws.cell(row=1, column=col, value=header_label(f))
        cell.font = _REQUIRED_FONT if f.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        hint = _hint(f)
        if hint:
            cell.comment = Comment(hint, "系统")
        dim = ws.column_dimensions[letter]
        dim.width = max(12, min(40, len(f.label) * 2.2 + 4))
        dim.number_format = "@"  # text: IDs, phone numbers, postal codes and dates stay as typed
        if f.type == "select":
            option_col += 1
            opt_letter = get_column_letter(option_col)
            options.cell(row=1, column=option_col, value=f.label)
            for i, value in enumerate(f.options, start=2):
                options.cell(row=i, column=option_col, value=value)
            ref = f"{quote_sheetname(OPTIONS_SHEET)}!${opt_letter}$2:${opt_letter}${len(f.options) + 1}"
            dv = DataValidation(type="list", formula1=ref, allow_blank=True, showDropDown=False,
                                showErrorMessage=True, errorTitle="输入有误",
                                error=f"{f.label}请从下拉选项中选择", showInputMessage=True,
                                promptTitle=f.label, prompt="请从下拉选项中选择")
            dv.add(f"{letter}2:{letter}{last_row}")
            ws.add_data_validation(dv)
        elif f.type == "date":
            dv = DataValidation(type="textLength", operator="equal", formula1="10", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期格式有误",
                                error=f"{f.label}格式应为 YYYY-MM-DD", showInputMessage=True,
                                promptTitle=f.label, prompt="格式:YYYY-MM-DD,例如 2020-06-30")
            dv.add(f"{letter}2:{letter}{last_row}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30
    _help_sheet(wb.create_sheet(HELP_SHEET, 1))
    wb.active = 0
    return _save(wb)


def _help_sheet(ws: Any) -> None:
    lines = [
        "会员信息导入模板 · 填写说明",
        "",
        "1. 在“会员信息”工作表中每行填写一名会员,第一行标题不要修改、删除;列的顺序可以调整,多余的列会被忽略。",
        "2. 新建会员至少须填写:姓名、证件类型、证件号码。带 * 的列是发放会员证的必填项,可以以后补充。",
        "3. 按“证件类型 + 证件号码”匹配:已是本协会会员的,按表中非空的单元格更新其信息(空白单元格不改动原值);"
        "不是会员的,新建会员并自动生成会员证书编号。",
        "4. 所属协会固定为导入人所在的协会,无需填写。会员证书编号由系统生成,无需填写。",
        "5. 日期请按 YYYY-MM-DD 填写(例如 2020-06-30),本模板各列已设为文本格式;填写为 Excel 日期也可识别。",
        "6. 带下拉箭头的列请从下拉选项中选择。居民身份证号码须为18位且校验位正确,并与出生日期、性别一致。",
        "7. 先“检查”(不写入任何数据),系统按行号、列名列出所有问题;全部修正后再“导入”,导入为全部成功或全部不导入。",
        "8. 新建的会员账户没有可用密码:会员可在登录页通过“忘记密码”用登记的电子邮箱设置密码,"
        "或由本协会在会员详情中“生成初始密码”后告知会员。",
        "9. 每个文件最多 20000 行、5 MB。",
        "",
        "字段说明:",
    ]
    for i, text in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text)
    ws["A1"].font = Font(bold=True, size=14)
    start = len(lines) + 1
    for col, title in enumerate(("列名", "发证必填", "填写要求 / 可选值"), start=1):
        ws.cell(row=start, column=col, value=title).font = _HEADER_FONT
    for i, f in enumerate(TEMPLATE_FIELDS, start=start + 1):
        ws.cell(row=i, column=1, value=f.label)
        ws.cell(row=i, column=2, value="是" if f.required else "")
        ws.cell(row=i, column=3, value="、".join(f.options) if f.type == "select" else _hint(f))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 100


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- parsing ------------------------------------------------------------------------------------

class WorkbookError(ValueError):
    """The file as a whole cannot be imported (not an xlsx, no header row, too many rows)."""

    def __init__(self, message: str, code: str = "IMPORT_INVALID_FILE") -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class Row:
    number: int  # the Excel row number staff see
    values: dict[str, str]  # field key -> cell text ("" when empty)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (key, message): unreadable cells


@dataclass
class ParsedSheet:
    columns: dict[str, int]  # field key -> 1-based column index
    ignored_columns: list[str]
    rows: list[Row] = field(default_factory=list)

    def column_letter(self, key: str) -> str:
        col = self.columns.get(key)
        return get_column_letter(col) if col else ""


def _label(raw: Any) -> str:
    text = "" if raw is None else str(raw).strip()
    return text.rstrip("*＊ ").strip()


def _cell_text(f: Field, raw: Any) -> tuple[str, str]:
    kind = type(raw)
    if kind is str:
        # Our own export escapes formula-like text with a quote; validation then refuses it.
        return unescape_import(raw.strip()), ""
    if raw is None:
        return "", ""
    if kind is datetime:
        return raw.date().isoformat(), ""
    if kind is date:
        return raw.isoformat(), ""
    if kind is bool:
        return ("是" if raw else "否"), ""
    if kind is float:
        if f.type == "id_number" and abs(raw) >= 1e15:
            return "", f"{f.label}被 Excel 存成了数字,末几位可能已丢失,请将该列设为文本格式后重新填写"
        return (str(int(raw)) if raw.is_integer() else str(raw)), ""
    return str(raw).strip(), ""


def parse(data: bytes, *, max_rows: int) -> ParsedSheet:
    """The member rows of the first sheet whose header row (within the first rows) has the
    ID-number column; reading is `xlsx.Workbook` (archive and sheet bounds checked first, then values)."""
    try:
        wb = xlsx.Workbook(data)
        sheets = [s for s in wb.sheets if s[0] not in (OPTIONS_SHEET, HELP_SHEET)]
        sheets.sort(key=lambda s: not s[0].startswith(DATA_SHEET))
        for _, part in sheets:
            rows = wb.rows(part)
            for header_row, header in rows:
                if header_row > HEADER_SEARCH_ROWS:
                    break
                labels = [_label(v) for v in header]
                if FIELDS_BY_KEY["id_number"].label in labels:
                    return _read_rows(labels, rows, max_rows)
    except xlsx.XlsxError as exc:
        raise WorkbookError(exc.message) from exc
    raise WorkbookError("未找到标题行:请使用导入模板,保留第一行的列名(至少包含“证件类型”“证件号码”)")


def _read_rows(labels: list[str], rows: Iterable[tuple[int, list[Any]]], max_rows: int) -> ParsedSheet:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for col, label in enumerate(labels, start=1):
        f = _BY_LABEL.get(label)
        if f is None or not f.importable or f.key == "association":
            if label:
                ignored.append(label)
            continue
        if f.key in columns:
            raise WorkbookError(f"列“{label}”出现了两次,请删除重复的列")
        columns[f.key] = col
    if "id_type" not in columns:
        raise WorkbookError("缺少“证件类型”列:按证件类型和证件号码匹配会员,这两列都必须有")
    sheet = ParsedSheet(columns, ignored)
    index = [(f_key, col - 1, FIELDS_BY_KEY[f_key]) for f_key, col in columns.items()]
    for number, values in rows:
        if all(v is None or (type(v) is str and not v.strip()) for v in values):
            continue
        if len(sheet.rows) >= max_rows:
            raise WorkbookError(f"文件超过 {max_rows} 行,请分成多个文件导入", code="IMPORT_TOO_LARGE")
        row = Row(number, {})
        width = len(values)
        for key, pos, f in index:
            text, problem = _cell_text(f, values[pos] if pos < width else None)
            row.values[key] = text
            if problem:
                row.problems.append((key, problem))
        sheet.rows.append(row)
    return sheet


# -- export -------------------------------------------------------------------------------------

EXPORT_EXTRA = (("status", "会籍状态"), ("status_reason", "状态原因"), ("photo_status", "照片状态"),
                ("complete", "信息是否完整"), ("updated_at", "最后更新时间"))


def _export_row(rec: Mapping[str, Any], fields: list[Field]) -> list[Any]:
    row = [rec.get("member_no", "")]
    for f in fields:
        value = rec.get(f.key, "")
        row.append(ASSOCIATION_NAMES.get(value, value) if f.key == "association" else value)
    row += [MEMBER_STATUS_LABELS.get(rec.get("status", ""), rec.get("status", "")), rec.get("status_reason", ""),
            PHOTO_STATUS_LABELS.get(rec.get("photo_status", ""), rec.get("photo_status", "")),
            "是" if rec.get("complete") else "否", rec.get("updated_at", "")]
    return row


# What XlsxWriter's string cells look for (xlsxwriter.xmlwriter): control characters to escape
# as _xHHHH_, and the characters XML escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_XML_ESCAPES = re.compile('["&<>\n]')
# Text `_inert` may change: a first character that is a formula trigger or whitespace (which
# `looks_like_formula` strips before looking), or one of ILLEGAL_CHARACTERS_RE's characters.
_SUSPECT = re.compile(r"^[\s=+\-@]|[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _inert(value: Any) -> Any:
    """Text as it goes into a string cell: formula-like text escaped with a quote, and without
    the characters an .xlsx (XML 1.0) cannot hold (data stored before they were refused on
    input must not make the whole export fail)."""
    return xlsx_text(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


class _RowWriter:
    """Writes the export's data rows straight into XlsxWriter's row file, byte for byte what its
    `write_string` gives (the constant-memory mode's in-line string cells), a third of the CPU.

    XlsxWriter spends most of an export's assembly going through its public per-cell API (bounds
    checks, a cell tuple, a dispatch on the cell's class) for cells that are all plain text here.
    A row that holds anything else (a number, a text XlsxWriter would truncate or write as rich
    text) goes through `_write_row`, as does a sheet with row or column formats, which would give
    the cells a style. tests/unit/members/test_export_writer.py compares the two paths' files."""

    def __init__(self, ws: Any, width: int) -> None:
        from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
        from xlsxwriter.xmlwriter import XMLwriter

        self.preserve, self.escape_controls = _preserve_whitespace, XMLwriter._escape_control_characters
        self.ws, self.width = ws, width
        self.letters = [xl_col_to_name(col) for col in range(width)]
        self.limit = ws.xls_strmax // 2

    def write(self, row: int, values: list[Any]) -> None:
        ws = self.ws
        cells = self._cells(row, values) if not ws.col_info and row not in ws.row_info else None
        if cells is None:
            _write_row(ws, row, values)
            return
        if row > ws.previous_row:
            ws._write_single_row(row)  # the pending row, as XlsxWriter's next write would
        if cells:
            ws._check_dimensions(row, 0)
            ws._write_row(row, None)
            ws.fh.write(cells)
            ws._xml_end_tag("row")

    def _cells(self, row: int, values: list[Any]) -> str | None:
        """The row's <c> elements, or None when the row must take XlsxWriter's own path."""
        if len(values) > self.width:
            return None
        number = str(row + 1)
        parts = []
        for col, value in enumerate(values):
            if type(value) is not str:
                return None
            # Most text needs no escape: `_inert` only when it could start a formula or holds a
            # character an .xlsx cannot (what `_SUSPECT` finds).
            text = _inert(value) if _SUSPECT.search(value) else value
            if not text:
                continue
            if len(text) > self.limit:
                return None
            if "_x" in text or _CONTROL.search(text):
                text = self.escape_controls(text)
            if text.startswith("<r>") and text.endswith("</r>"):
                return None
            space = ' xml:space="preserve"' if self.preserve(text) else ""
            if _XML_ESCAPES.search(text):
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            parts.append(f'<c r="{self.letters[col]}{number}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
        return "".join(parts)


def _write_row(ws: Any, row: int, values: list[Any]) -> None:
    """One row: text always as a string cell (never a formula, never turned into a number)."""
    for col, value in enumerate(values):
        if isinstance(value, str):
            text = _inert(value)
            if text:  # an empty cell is left out, as openpyxl leaves it
                ws.write_string(row, col, text)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value)
        elif value is not None:
            ws.write_string(row, col, _inert(str(value)))


def write_export(records: Iterable[Mapping[str, Any]], out: IO[bytes], *, exported_by: str, association: str,
                 filters: str, exported_at: str) -> int:
    """Stream the export workbook to `out`; the row count.

    Written with XlsxWriter in its constant-memory mode: each row goes to a temporary file as
    soon as it is complete, so 60,000 members never sit in memory, and a row costs a fraction of
    openpyxl's write-only cells (about 1 ms a row there: a minute for the largest association).
    XlsxWriter's conversions of text (to formulas, numbers, links) are all off: a cell holds the
    member's text exactly, escaped as above.
    """
    import xlsxwriter

    fields = [f for f in FIELDS if f.key != "member_no"]
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"title": "会员信息导出(内部资料)", "subject": "内部资料", "keywords": "内部资料;个人信息"})
    ws = wb.add_worksheet(f"{DATA_SHEET}(内部资料)")
    info = wb.add_worksheet(HELP_SHEET)
    ws.freeze_panes(1, 0)
    header = [FIELDS_BY_KEY["member_no"].label] + [f.label for f in fields] + [t for _, t in EXPORT_EXTRA]
    _write_row(ws, 0, header)
    rows = _RowWriter(ws, len(header))
    count = 0
    for rec in records:
        count += 1
        rows.write(count, _export_row(rec, fields))
    lines: tuple[list[Any], ...] = (
        ["内部资料"],
        ["本文件含会员个人信息(含完整证件号码),仅限本协会工作使用,请妥善保管,不得外传。"],
        ["协会", ASSOCIATION_NAMES.get(association, association)],
        ["导出人", exported_by],
        ["导出时间", exported_at],
        # The filter is the caller's free text: inert, and without characters a sheet cannot hold.
        ["筛选条件", filters or "全部"],
        ["记录数", count],
        ["说明", "本表可修改后按“导入模板”的规则重新导入(按证件类型+证件号码匹配,会员证书编号等列会被忽略)。"],
    )
    for number, line in enumerate(lines):
        _write_row(info, number, line)
    wb.close()
    return count

"""Reading the cell values of an uploaded .xlsx workbook, with the archive checked first.

Why this exists: an import file comes from a stranger and a .xlsx is a zip of XML. Two cheap
files once cost the API function its whole budget: 20,000 rows with one cell each at column ZZZ
(100 KB; any reader that builds rectangular rows makes 365 million cells) and a 398 KB zip bomb.
So nothing is parsed until the archive has passed checks that cost milliseconds:

1. the zip's central directory: at most ``MAX_ENTRIES`` entries, only stored or deflated ones,
   each part's *declared* size at most ``MAX_PART_BYTES`` and all of them together at most
   ``MAX_TOTAL_BYTES``;
2. every part's *actual* size: its deflate stream is inflated in chunks (nothing kept) and must end
   exactly at the declared size, so a lying header cannot smuggle more data past step 1;
3. the worksheet XML, scanned as bytes: no DTD (no entity expansion), no cell reference beyond
   ``MAX_COLUMNS`` or row beyond ``MAX_ROW``, no more than ``MAX_CELLS`` cells, and every cell
   carries its reference (Excel, WPS, LibreOffice, Numbers and openpyxl all write it; without it
   the column of a cell could only be found by counting, which a hostile file abuses).

The bounds follow from what an import can hold: the template has fewer than 50 columns and an
import at most 60,000 rows (as a job; 20,000 in one request). Only then does python-calamine (Rust, maintained, the reader pandas
uses too) read the sheet: about 5× faster than this project's former hand-written expat reader
and 40× faster than openpyxl's read-only mode on a full 20,000-row sheet, which keeps a legitimate
import inside the API time limit. calamine builds each sheet as a dense rectangle, which is safe
only because step 3 bounds the rectangle.

Failures are :class:`XlsxError` (a ValueError) whose ``message`` is Chinese, for the import
report.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator

MAX_ENTRIES = 200
MAX_PART_BYTES = 160 * 1024 * 1024  # a full 60,000-row template sheet is ~144 MB of XML
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_COLUMNS = 64  # column BL: the template and the export have fewer than 50 columns
MAX_ROW = 120_000  # 60,000 data rows (an import job), with room for blank rows between them
MAX_CELLS = 3_600_000  # 60,000 full rows of the export's columns
_CHUNK = 1024 * 1024

_MESSAGE = "文件无法读取,请使用导入模板(.xlsx 格式)填写后上传"

# Patterns on the raw worksheet bytes. Writers put the reference first (<c r="B7" ...>), which the
# fast path counts with bytes.count and literal-prefix searches; any other form is checked by the
# general patterns (slower, still linear).
_PREFIXED = re.compile(rb"<([A-Za-z_][\w.-]*:)(?:c|row)[\s/>]")
_ANY_CELL_WITH_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s(?:[^>]*?\s)?r=\"[A-Za-z]{1,3}\d")
_ANY_REF = re.compile(rb"\sr=\"([A-Za-z]{1,3})(\d+)\"")
# A cell reference beyond column BL (= MAX_COLUMNS) or row 120,000 (= MAX_ROW), after a literal prefix.
_FAR = (rb"(?:(?:[A-Za-z]{3,}|[C-Zc-z][A-Za-z]|[Bb][M-Zm-z])\d"
        rb"|[A-Za-z]{1,3}(?:12000[1-9]|1200[1-9]\d|120[1-9]\d\d|12[1-9]\d{3}|1[3-9]\d{4}|[2-9]\d{5}"
        rb"|[1-9]\d{6,})\")")
_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")


class XlsxError(ValueError):
    """Not a readable (or not an acceptable) .xlsx workbook; ``message`` is for staff."""

    def __init__(self, reason: str, message: str = _MESSAGE) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def _too_big(what: str) -> XlsxError:
    return XlsxError(what, f"文件内容超出导入上限({what}),请只保留导入模板中的列,每个文件不超过 20000 行")


# -- step 1 and 2: the archive --------------------------------------------------------------------

def _inflated_size(data: bytes, info: zipfile.ZipInfo, limit: int) -> int:
    """The real uncompressed size of one entry, found by inflating it in chunks (kept nowhere);
    stops as soon as it passes ``limit``."""
    offset = info.header_offset
    header = data[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise XlsxError("bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_len + extra_len
    raw = memoryview(data)[start:start + info.compress_size]
    if len(raw) != info.compress_size:
        raise XlsxError("truncated entry")
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw)
    inflater = zlib.decompressobj(-15)
    size = 0
    try:
        for pos in range(0, len(raw), _CHUNK):
            chunk: Any = raw[pos:pos + _CHUNK]
            while chunk and not inflater.eof:
                size += len(inflater.decompress(chunk, _CHUNK))
                if size > limit:
                    return size
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                break
        size += len(inflater.flush())
    except zlib.error as exc:
        raise XlsxError("bad deflate stream") from exc
    if not inflater.eof:
        raise XlsxError("unterminated deflate stream")
    return size


def check_archive(data: bytes) -> zipfile.ZipFile:
    """The archive, once its declared and actual part sizes are within bounds."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise XlsxError("not a zip archive") from exc
    if len(entries) > MAX_ENTRIES:
        raise _too_big("文件数过多")
    if sum(i.file_size for i in entries) > MAX_TOTAL_BYTES or any(i.file_size > MAX_PART_BYTES for i in entries):
        raise _too_big("解压后过大")
    for info in entries:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise XlsxError("unsupported compression or encryption")
        if _inflated_size(data, info, info.file_size) != info.file_size:
            raise _too_big("解压后大小与声明不符")
    return archive


# -- step 3: the worksheet XML --------------------------------------------------------------------

def _count(xml: bytes, start: bytes) -> int:
    return xml.count(start + b" ") + xml.count(start + b">") + xml.count(start + b"/")


def check_sheet_xml(xml: bytes) -> None:
    """Bounds on the rectangle a reader will build from this part, from the bytes alone."""
    if b"<!" in xml and (b"<!DOCTYPE" in xml or b"<!ENTITY" in xml or b"<!doctype" in xml):
        raise XlsxError("DTD not allowed")
    prefixes = {b""}
    if b":c" in xml:
        prefixes |= set(_PREFIXED.findall(xml))
    cells = rows = referenced_first = 0
    for prefix in prefixes:
        cells += _count(xml, b"<" + prefix + b"c")
        rows += xml.count(b"<" + prefix + b"row")
        referenced_first += xml.count(b"<" + prefix + b'c r="')
    if cells > MAX_CELLS:
        raise _too_big("单元格过多")
    if rows > MAX_ROW:
        raise _too_big("行数过多")
    # A cell name followed by a tab or line break is legal XML the fast counts do not see.
    odd = any(b"<" + prefix + b"c" + ws in xml for prefix in prefixes for ws in (b"\t", b"\n", b"\r"))
    if referenced_first == cells and not odd:
        for prefix in prefixes:
            if re.search(re.escape(b"<" + prefix + b'c r="') + _FAR, xml):
                raise _too_big(f"超过 {MAX_COLUMNS} 列或 {MAX_ROW} 行")
        return
    # Some cells carry other attributes before the reference, or none at all.
    if sum(1 for _ in _ANY_CELL_WITH_REF.finditer(xml)) != sum(1 for _ in _ANY_CELL.finditer(xml)):
        raise XlsxError("cell without reference",
                        "文件结构不规范(单元格缺少位置信息),请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
    for match in _ANY_REF.finditer(xml):
        column = 0
        for ch in match.group(1).upper():
            column = column * 26 + ch - 64
        if column > MAX_COLUMNS or int(match.group(2)) > MAX_ROW:
            raise _too_big(f"超过 {MAX_COLUMNS} 列或 {MAX_ROW} 行")


def _xml_parts(archive: zipfile.ZipFile) -> Iterator[bytes]:
    for info in archive.infolist():
        if info.filename.lower().endswith((".xml", ".rels")):
            yield archive.read(info)


# -- reading --------------------------------------------------------------------------------------

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?$")


def _value(raw: Any) -> Any:
    """calamine's value in the types the import understands (empty cell → None)."""
    kind = type(raw)
    if kind is str:
        if not raw:
            return None
        if len(raw) >= 19 and raw[10] == "T" and _ISO_DATETIME.match(raw):
            # An ISO date cell (t="d", as LibreOffice can write) arrives as its text.
            return datetime.fromisoformat(raw.removesuffix("Z"))
        return raw
    if kind is float:
        return int(raw) if raw.is_integer() and abs(raw) < 1e15 else raw
    if kind is date:
        return datetime(raw.year, raw.month, raw.day)
    if kind is time or kind is timedelta:
        return str(raw)
    return raw


class Workbook:
    """Sheet names in order and their rows of values (no styles, no formulas, just values)."""

    def __init__(self, data: bytes) -> None:
        archive = check_archive(data)
        try:
            for xml in _xml_parts(archive):
                check_sheet_xml(xml)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
            raise XlsxError("damaged archive") from exc
        from python_calamine import CalamineWorkbook  # noqa: PLC0415 — only imports need it

        try:
            self._book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine raises its own error types for damaged workbooks
            raise XlsxError("unreadable workbook") from exc
        # (name, name): the second element names the sheet for rows(), as a part path once did.
        self.sheets: list[tuple[str, str]] = [(name, name) for name in self._book.sheet_names]
        if not self.sheets:
            raise XlsxError("no worksheets")

    def rows(self, sheet: str) -> Iterator[tuple[int, list[Any]]]:
        """(1-based row number, values by column from A) for every row that has a value."""
        try:
            grid = self._book.get_sheet_by_name(sheet)
            start = grid.start
            first_row, first_col = start if start is not None else (0, 0)
            values = grid.iter_rows()
        except Exception as exc:
            raise XlsxError("unreadable sheet") from exc
        return self._rows(values, first_row, first_col)

    @staticmethod
    def _rows(values: Iterator[list[Any]], first_row: int, first_col: int) -> Iterator[tuple[int, list[Any]]]:
        pad = [None] * first_col
        for offset, raw in enumerate(values):
            row = pad + [_value(v) for v in raw]
            while row and row[-1] is None:
                row.pop()
            if row:
                yield first_row + offset + 1, row

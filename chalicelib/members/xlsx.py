"""A small streaming reader for the cell values of .xlsx worksheets.

Why not openpyxl for reading: its read-only mode builds an object per cell and scans the sheet
once more for its dimensions, about 1 ms a row for the 38-column member sheet, i.e. 10 s of a
10,000-row import spent before any check runs, twice (dry run, then commit). Values are all an
import needs; this reads them with expat in about a fifth of the time. openpyxl still writes
every workbook (template, export).

What it understands (ECMA-376 / ISO 29500 SpreadsheetML, as written by Excel, WPS, LibreOffice,
Numbers and openpyxl): shared and inline strings, numbers, booleans, formula results (cached
values), ISO dates (t="d"), numbers with a date style (turned into datetime, 1900 or 1904
epoch), namespace prefixes. Defences: the archive's declared sizes are capped before
decompressing, and any DTD is refused (no entity expansion).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any, Iterator
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAX_PART_BYTES = 400 * 1024 * 1024  # uncompressed size of any one part we read
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


class XlsxError(ValueError):
    """Not a readable .xlsx workbook."""


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1].rsplit("}", 1)[-1]


def _parse(data: bytes, start: Any = None, end: Any = None, text: Any = None) -> None:
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def no_dtd(*_: Any) -> None:
        raise XlsxError("DTD not allowed")

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XlsxError(str(exc)) from exc


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class Workbook:
    """Sheet names in order and their rows of values (no styles, no formulas, just values)."""

    def __init__(self, data: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise XlsxError("not a zip archive") from exc
        self._names = {_norm(i.filename): i for i in self._zip.infolist()}
        self.sheets: list[tuple[str, str]] = []  # (name, part path)
        self.epoch = CALENDAR_WINDOWS_1900
        self._read_workbook()
        self._shared: list[str] | None = None
        self._date_styles: set[int] | None = None

    def _part(self, path: str) -> bytes | None:
        info = self._names.get(_norm(path))
        if info is None:
            return None
        if info.file_size > MAX_PART_BYTES:
            raise XlsxError("part too large")
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError) as exc:
            raise XlsxError("damaged archive") from exc

    def _read_workbook(self) -> None:
        wb = self._part("xl/workbook.xml")
        rels = self._part("xl/_rels/workbook.xml.rels")
        if wb is None or rels is None:
            raise XlsxError("no workbook part")
        targets: dict[str, str] = {}

        def rel(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship" and "Id" in attrs:
                target = attrs.get("Target", "")
                targets[attrs["Id"]] = target.lstrip("/") if target.startswith("/") else "xl/" + target

        _parse(rels, start=rel)
        order: list[tuple[str, str]] = []

        def book(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id" and k != "sheetId"), "")
                if rid in targets:
                    order.append((attrs.get("name", ""), targets[rid]))
            elif local == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904

        _parse(wb, start=book)
        self.sheets = order

    def _shared_strings(self) -> list[str]:
        if self._shared is None:
            out: list[str] = []
            data = self._part("xl/sharedStrings.xml")
            if data:
                buf: list[str] = []
                state = {"in_t": False, "skip": 0}

                def start(name: str, attrs: dict[str, str]) -> None:
                    local = _local(name)
                    if local == "si":
                        buf.clear()
                    elif local == "t":
                        state["in_t"] = True
                    elif local in ("rPh", "phoneticPr"):
                        state["skip"] += 1  # phonetic guides are not part of the text

                def end(name: str) -> None:
                    local = _local(name)
                    if local == "si":
                        out.append("".join(buf))
                    elif local == "t":
                        state["in_t"] = False
                    elif local in ("rPh", "phoneticPr"):
                        state["skip"] -= 1

                def text(chars: str) -> None:
                    if state["in_t"] and not state["skip"]:
                        buf.append(chars)

                _parse(data, start, end, text)
            self._shared = out
        return self._shared

    def _dates(self) -> set[int]:
        """Indexes of cell formats (the `s` attribute) whose number format is a date."""
        if self._date_styles is None:
            custom: dict[int, str] = {}
            xfs: list[int] = []
            depth = {"cellXfs": False}
            data = self._part("xl/styles.xml")

            def start(name: str, attrs: dict[str, str]) -> None:
                local = _local(name)
                if local == "numFmt":
                    try:
                        custom[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
                    except ValueError:
                        pass
                elif local == "cellXfs":
                    depth["cellXfs"] = True
                elif local == "xf" and depth["cellXfs"]:
                    try:
                        xfs.append(int(attrs.get("numFmtId", "0")))
                    except ValueError:
                        xfs.append(0)

            def end(name: str) -> None:
                if _local(name) == "cellXfs":
                    depth["cellXfs"] = False

            if data:
                _parse(data, start, end)
            dates = set()
            for index, fmt_id in enumerate(xfs):
                code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, ""))
                if code and is_date_format(code):
                    dates.add(index)
            self._date_styles = dates
        return self._date_styles

    def rows(self, part: str) -> Iterator[tuple[int, list[Any]]]:
        """(1-based row number, values by column) for every row that has a cell element."""
        data = self._part(part)
        if data is None:
            raise XlsxError("missing sheet")
        shared = self._shared_strings()
        dates = self._dates()
        epoch = self.epoch
        rows: list[tuple[int, list[Any]]] = []
        names: dict[str, str] = {}  # qualified name -> local name (a handful of distinct names)
        row_no = col = next_col = 0
        style = -1
        kind = ""
        cells: dict[int, Any] = {}
        text: list[str] | None = None
        in_is = collect = False

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal row_no, col, next_col, style, kind, cells, text, in_is, collect
            local = names.get(name) or names.setdefault(name, _local(name))
            if local == "c":
                ref = attrs.get("r")
                match = _CELL_REF.match(ref) if ref else None
                col = _column(match.group(1)) if match else next_col
                next_col = col + 1
                kind = attrs.get("t", "n")
                s = attrs.get("s")
                style = int(s) if s and s.isdigit() else -1
                text = None
            elif local == "v" or (local == "t" and in_is):
                collect = True
                if text is None:
                    text = []
            elif local == "row":
                r = attrs.get("r", "")
                row_no = int(r) if r.isdigit() else row_no + 1
                cells = {}
                next_col = 1
            elif local == "is":
                in_is = True
            elif local in ("rPh", "phoneticPr"):
                collect = False

        def end(name: str) -> None:
            nonlocal collect, in_is
            local = names.get(name) or names.setdefault(name, _local(name))
            if local == "c":
                if text is not None:
                    value = _value(kind, "".join(text), style, shared, dates, epoch)
                    if value is not None:
                        cells[col] = value
            elif local == "v" or local == "t":
                collect = False
            elif local == "is":
                in_is = False
            elif local == "row" and cells:
                rows.append((row_no, [cells.get(i) for i in range(1, max(cells) + 1)]))

        def chars(data: str) -> None:
            if collect and text is not None:
                text.append(data)

        _parse(data, start, end, chars)
        return iter(rows)


def _norm(path: str) -> str:
    return path.replace("\\", "/").lstrip("/").lower()


def _value(kind: str, text: str | None, style: int, shared: list[str], dates: set[int], epoch: Any) -> Any:
    if text is None:
        return None
    if kind == "s":
        try:
            return shared[int(text)]
        except (ValueError, IndexError):
            return None
    if kind in ("inlineStr", "str"):
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return None
    if kind == "d":
        try:
            return datetime.fromisoformat(text.strip().replace("Z", ""))
        except ValueError:
            return text
    try:
        number = float(text)
    except ValueError:
        return text
    if style in dates:
        try:
            return from_excel(number, epoch)
        except (ValueError, OverflowError):
            return number
    return int(number) if number.is_integer() and abs(number) < 1e15 else number

"""The export's data rows are written straight into XlsxWriter's row file: the file is byte for
byte the one XlsxWriter's own per-cell API writes."""

from __future__ import annotations

import io
import re
from typing import Any

from chalicelib.members import excel
from tests.unit.members.test_export_writer import META, _records


def _parts(data: bytes) -> dict[str, bytes]:
    """The files of an .xlsx, without the creation time XlsxWriter stamps on each workbook."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"",
                                        parts["docProps/core.xml"])
    return parts


def test_data_rows_are_byte_for_byte_xlsxwriter_s_own_cells(monkeypatch: Any) -> None:
    """The export's direct row writer gives the file XlsxWriter's per-cell API gives, for every
    awkward text (control characters, literal _xHHHH_, XML characters, edge whitespace, text
    XlsxWriter would take as rich text or truncate) and for rows that must take its own path."""
    records = _records(200)
    extra = ["_x0041_ literal", "a_x00e9_b", "<r>rich</r>", "x" * 20_000, "\x00nul", "line\n", "\ttab", "'quote",
             "=cmd|' /C calc'!A0", "&amp;", "\u2028sep", "  both  "]
    for i, text in enumerate(extra):
        records[i]["employer"] = text
        records[-1 - i]["address"] = text + text[:3]
    records[20]["qq"] = 12345  # a number: the row goes through XlsxWriter's own cells
    records[21]["postal_code"] = None
    own_path = []
    original = excel._write_row
    monkeypatch.setattr(excel, "_write_row", lambda ws, row, values: (own_path.append(row), original(ws, row, values)))
    direct = io.BytesIO()
    excel.write_export(records, direct, **META)
    # the header, the help sheet's lines, and the five rows above that need XlsxWriter's own cells
    # (rich-looking text, two texts it truncates, a number, a None)
    assert len(own_path) == 1 + 8 + 5
    monkeypatch.setattr(excel._RowWriter, "write", lambda self, row, values: excel._write_row(self.ws, row, values))
    per_cell = io.BytesIO()
    excel.write_export(records, per_cell, **META)
    assert _parts(direct.getvalue()) == _parts(per_cell.getvalue())


def test_text_passed_over_by_the_quick_check_needs_no_escape() -> None:
    """The row writer escapes only text `_SUSPECT` finds: any other text is its own escape."""
    for code in range(0x3100):
        ch = chr(code)
        for text in (ch, ch + "x", "x" + ch, " " + ch, ch + " ", "ab" + ch + "cd", ch + "=1", ch + ch + "@"):
            assert excel._SUSPECT.search(text) or excel._inert(text) == text, repr(text)

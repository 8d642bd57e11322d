"""Hostile Excel import benchmark: one line per figure, ``name value unit``.

Why this exists: an import file is parsed inside one API call (29 s, 1,024 MB), and cheap files
once made the reader build hundreds of millions of cells. Each case runs ``excel.parse`` (what
``POST /members/imports`` runs first) in a fresh subprocess, which reports its wall time and its
peak resident memory above the same process's baseline after imports. Figures:

- ``import_hostile_xlsx_s`` / ``import_hostile_xlsx_peak_mb``: the worst over hostile files, each
  under the 5 MB upload limit: 20,000 rows with one cell each at column ZZZ (~100 KB), a zip bomb
  (~400 MB of XML deflated to ~400 KB) with an honest and with a lying size header, a sheet of
  1,048,576 empty rows, and the largest rectangle the checks accept (40,000 rows × 64 columns,
  two cells a row: parsed, then refused by the row limit). Targets ≤ 5 s and ≤ 200 MB.
- ``import_full_xlsx_s`` / ``import_full_xlsx_peak_mb``: a legitimate full template, 20,000 rows
  of all 38 columns (2.6 MB), for comparison: the largest file an import accepts.

Run: ``.venv/bin/python bench/bench_import_hostile.py`` (or through ``make bench``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')

_CHILD = """
import json, resource, sys, time
from chalicelib.members import excel
data = open(sys.argv[1], "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
try:
    sheet = excel.parse(data, max_rows=20_000)
    outcome = f"{len(sheet.rows)} rows"
except excel.WorkbookError as exc:
    outcome = "refused: " + exc.message
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"s": elapsed, "mb": (peak - base) / 1024, "outcome": outcome}))
"""


def _skeleton(z: zipfile.ZipFile) -> None:
    z.writestr("[Content_Types].xml",
               '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="xml" ContentType="application/xml"/></Types>')
    z.writestr("_rels/.rels",
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
               'officeDocument/2006/relationships/officeDocument"/></Relationships>')
    z.writestr("xl/workbook.xml", f'<workbook {NS}><sheets><sheet name="会员信息" sheetId="1" r:id="rId1"/>'
                                  '</sheets></workbook>')
    z.writestr("xl/_rels/workbook.xml.rels",
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def far_column() -> bytes:
    body = "".join(f'<row r="{i}"><c r="ZZZ{i}" t="inlineStr"><is><t>x</t></is></c></row>'
                   for i in range(2, 20_002))
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>证件号码</t></is></c></row>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        _skeleton(z)
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {NS}><sheetData>{header}{body}</sheetData></worksheet>')
    return buf.getvalue()


def widest_accepted() -> bytes:
    """The largest rectangle the checks let through: MAX_ROW rows, a cell in columns A and BL each."""
    from chalicelib.members.xlsx import MAX_ROW

    body = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="BL{i}"><v>{i}</v></c></row>'
                   for i in range(2, MAX_ROW + 1))
    header = ('<row r="1"><c r="A1" t="inlineStr"><is><t>证件号码</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>证件类型</t></is></c></row>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        _skeleton(z)
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {NS}><sheetData>{header}{body}</sheetData></worksheet>')
    return buf.getvalue()


def empty_rows() -> bytes:
    body = "".join(f'<row r="{i}"/>' for i in range(1, 1_048_577))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        _skeleton(z)
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {NS}><sheetData>{body}</sheetData></worksheet>')
    return buf.getvalue()


def zip_bomb(lie: bool) -> bytes:
    """~400 MB of blanks inside the sheet, deflated at level 9 (~1000:1)."""
    size = 400 * 1024 * 1024
    head = f'<worksheet {NS}><sheetData>'.encode()
    tail = b"</sheetData></worksheet>"
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    parts = [deflater.compress(head)]
    block = b" " * (4 * 1024 * 1024)
    for _ in range(size // len(block)):
        parts.append(deflater.compress(block))
        crc = zlib.crc32(block, crc)
    parts.append(deflater.compress(tail))
    crc = zlib.crc32(tail, crc)
    parts.append(deflater.flush())
    stream = b"".join(parts)
    real = len(head) + size + len(tail)
    declared, declared_crc = (len(head), zlib.crc32(head)) if lie else (real, crc)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        _skeleton(z)
    # Append the sheet by hand (a raw deflate stream with chosen header fields), then rewrite the
    # central directory with it.
    archive = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    entries = [(i, archive.read(i)) for i in archive.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, content in entries:
            z.writestr(info, content)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.header_offset = z.fp.tell()
        info.CRC, info.compress_size, info.file_size = declared_crc, len(stream), declared
        z.fp.write(info.FileHeader(False))
        z.fp.write(stream)
        z.filelist.append(info)
        z.NameToInfo[info.filename] = info
        z.start_dir = z.fp.tell()
    return out.getvalue()


def full_template() -> bytes:
    from openpyxl import Workbook

    from chalicelib.members.excel import TEMPLATE_FIELDS, header_label

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("会员信息")
    ws.append([header_label(f) for f in TEMPLATE_FIELDS])
    for i in range(20_000):
        ws.append([f"值{i}-{j}" for j in range(len(TEMPLATE_FIELDS))])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def measure(data: bytes) -> dict[str, object]:
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
        f.write(data)
        f.flush()
        out = subprocess.run([sys.executable, "-c", _CHILD, f.name], cwd=ROOT, capture_output=True,
                             check=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def run() -> list[tuple[str, float, str]]:
    hostile = {"far_column": far_column(), "zip_bomb": zip_bomb(False), "zip_bomb_lying": zip_bomb(True),
               "empty_rows": empty_rows(), "widest_accepted": widest_accepted()}
    worst_s = worst_mb = 0.0
    for name, data in hostile.items():
        assert len(data) <= 5 * 1024 * 1024, (name, len(data))
        got = measure(data)
        print(f"# {name} {len(data) // 1024} KB {got['s']:.2f} s +{got['mb']:.0f} MB {got['outcome']}",
              file=sys.stderr, flush=True)
        worst_s, worst_mb = max(worst_s, float(got["s"])), max(worst_mb, float(got["mb"]))  # type: ignore[arg-type]
    full = measure(full_template())
    print(f"# full_template {full['s']:.2f} s +{full['mb']:.0f} MB {full['outcome']}", file=sys.stderr, flush=True)
    return [
        ("import_hostile_xlsx_s", round(worst_s, 3), "s"),
        ("import_hostile_xlsx_peak_mb", round(worst_mb, 1), "MB"),
        ("import_full_xlsx_s", round(float(full["s"]), 2), "s"),  # type: ignore[arg-type]
        ("import_full_xlsx_peak_mb", round(float(full["mb"]), 1), "MB"),  # type: ignore[arg-type]
    ]


def main() -> int:
    for name, value, unit in run():
        print(f"{name} {value} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Many certificates in one ZIP, with a report of the members that could not get one.

Why it exists: staff download the certificates of a selection (or of "all complete members of
this filter"). Members that fail a gate (inactive, incomplete, no photo, unreadable photo, a
character the font lacks...) must be listed, not silently skipped, so the ZIP carries a report,
`report.csv`, in Chinese: UTF-8 with a byte-order mark so that Excel on Windows opens it as
Chinese text. Each PDF is named by number and name (`110000123456_王五.pdf`) so staff can find
a member's file without the report; the name is stored in UTF-8 with the ZIP language-encoding
flag, which Windows 10 (1903 and later) and 11 Explorer, macOS and 7-Zip honour. The report lists
each file name too.

The writer streams: items are consumed one at a time from any iterable (typically a generator
that renders and signs as it goes), PDFs are stored (they are compressed already), and the
output can be any writable binary file, seekable or not (a job streams it into an S3 multipart
upload; zipfile then writes data descriptors, and ZIP64 records where offsets or counts need them).
A progress callback gets `(done, total)` after each item.

Item shapes, so the caller need not import our types:
* success: `BulkSuccess(member_no, pdf, name="")` or a tuple `(member_no, pdf_bytes)` /
  `(member_no, pdf_bytes, name)`;
* failure: `BulkFailure(member_no, name, reason)` or a tuple `(member_no, name, reason)` of
  three strings (reason: the Chinese gate message, e.g. "没有查询到照片信息").
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Callable, Iterable, Union

from chalicelib.spreadsheet_safety import csv_text

REPORT_NAME = "report.csv"
_SAFE_NO = re.compile(r"[^0-9A-Za-z_-]")
# Characters Windows or a path would misread in a name, control characters and separators.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]|^[.\s]+|[.\s]+$')
_NAME_MAX = 40


def entry_name(member_no: str, name: str = "") -> str:
    """`<number>_<name>.pdf`, both made safe: the number keeps digits, letters, _ and -; the
    name loses path separators, characters Windows forbids and leading/trailing dots or spaces."""
    number = _SAFE_NO.sub("_", member_no)
    clean = _UNSAFE_NAME.sub("", " ".join((name or "").split()))[:_NAME_MAX].strip(". ")
    return f"{number}_{clean}.pdf" if clean else f"{number}.pdf"


# Fixed timestamp for entries: the archive depends only on its contents (and ZIP cannot store
# dates before 1980 anyway). Callers can pass the real export time.
_DEFAULT_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BulkSuccess:
    member_no: str
    pdf: bytes = field(repr=False)
    name: str = ""


@dataclass(frozen=True)
class BulkFailure:
    member_no: str
    name: str
    reason: str


BulkItem = Union[BulkSuccess, BulkFailure, tuple]
Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class BulkSummary:
    written: int
    failed: int
    failures: tuple[BulkFailure, ...]

    @property
    def total(self) -> int:
        return self.written + self.failed


def _coerce(item: BulkItem) -> BulkSuccess | BulkFailure:
    if isinstance(item, (BulkSuccess, BulkFailure)):
        return item
    if isinstance(item, tuple):
        if len(item) in (2, 3) and isinstance(item[1], (bytes, bytearray, memoryview)):
            name = item[2] if len(item) == 3 else ""
            return BulkSuccess(str(item[0]), bytes(item[1]), str(name or ""))
        if len(item) == 3 and all(isinstance(v, str) for v in item):
            return BulkFailure(*item)
    raise TypeError(f"not a bulk item: {type(item).__name__} {item!r:.80}")


def _excel_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in member-supplied text (CSV injection), also behind
    leading spaces, which spreadsheet programs may trim."""
    return csv_text(value)


def write_zip(
    items: Iterable[BulkItem],
    out: BinaryIO,
    *,
    total: int | None = None,
    progress: Progress | None = None,
    exported_at: datetime | None = None,
    title: str = "非执业会员电子证书批量导出",
) -> BulkSummary:
    """Write each success as `<member_no>_<name>.pdf` into a ZIP on `out`, then the report.

    The report lists every member, failures first (结果 未生成 with the reason), then the
    certificates written (结果 已生成 with the file name). Duplicate member numbers are written
    once; the repeat is reported.
    """
    stamp = exported_at.timetuple()[:6] if exported_at else _DEFAULT_TIME
    failures: list[BulkFailure] = []
    written: list[BulkSuccess] = []
    seen: set[str] = set()
    done = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for raw in items:
            item = _coerce(raw)
            if isinstance(item, BulkFailure):
                failures.append(item)
            elif item.member_no in seen:
                failures.append(BulkFailure(item.member_no, item.name, "重复的会员，已忽略"))
            else:
                seen.add(item.member_no)
                # Made safe so no path can escape the archive.
                entry = zipfile.ZipInfo(entry_name(item.member_no, item.name), date_time=stamp)
                entry.compress_type = zipfile.ZIP_STORED
                archive.writestr(entry, item.pdf)
                written.append(item)
            done += 1
            if progress is not None:
                progress(done, total)

        report = io.StringIO()
        writer = csv.writer(report, lineterminator="\r\n")
        writer.writerow([title])
        if exported_at:
            writer.writerow(["导出时间", exported_at.strftime("%Y-%m-%d %H:%M:%S")])
        writer.writerow(["合计", f"{done} 人", "已生成", f"{len(written)} 份", "未生成", f"{len(failures)} 人"])
        writer.writerow([])
        writer.writerow(["序号", "会员证书编号", "姓名", "结果", "说明"])
        row = 0
        for failure in failures:
            row += 1
            writer.writerow([row, _excel_safe(failure.member_no), _excel_safe(failure.name), "未生成",
                             _excel_safe(failure.reason)])
        for success in written:
            row += 1
            writer.writerow([row, _excel_safe(success.member_no), _excel_safe(success.name), "已生成",
                             entry_name(success.member_no, success.name)])
        entry = zipfile.ZipInfo(REPORT_NAME, date_time=stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(entry, "\ufeff" + report.getvalue())
    return BulkSummary(written=len(written), failed=len(failures), failures=tuple(failures))

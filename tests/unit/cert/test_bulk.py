"""The bulk ZIP: certificates inside, and a report that lists every member that failed a gate."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest

from chalicelib.cert.bulk import REPORT_NAME, BulkFailure, BulkSuccess, write_zip


def _report(archive: bytes) -> str:
    raw = zipfile.ZipFile(io.BytesIO(archive)).read(REPORT_NAME)
    assert raw.startswith("\ufeff".encode("utf-8")), "Excel needs the BOM to read UTF-8"
    return raw.decode("utf-8-sig")


def test_pdfs_and_a_report_listing_failures_with_their_reason(certificate: bytes) -> None:
    calls: list[tuple[int, int | None]] = []
    items = [
        ("110000123456", certificate),
        ("110000123457", "李四", "没有查询到照片信息"),
        BulkSuccess("110000123458", certificate, name="王五"),
        BulkFailure("110000123459", "赵六", "请将会员必填信息补充完整,再进行下载"),
    ]
    archive = build_zip(iter(items), total=4, progress=lambda done, total: calls.append((done, total)))
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert sorted(names) == ["110000123456.pdf", "110000123458_王五.pdf", REPORT_NAME]
    assert zipfile.ZipFile(io.BytesIO(archive)).read("110000123456.pdf") == certificate
    report = _report(archive)
    assert "110000123457,李四,未生成,没有查询到照片信息" in report
    assert '110000123459,赵六,未生成,"请将会员必填信息补充完整,再进行下载"' in report
    assert "110000123458,王五,已生成,110000123458_王五.pdf" in report
    assert report.index("李四") < report.index("王五")  # failures first
    assert "合计,4 人,已生成,2 份,未生成,2 人" in report
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_summary_and_streaming_to_a_file(tmp_path, certificate: bytes) -> None:  # type: ignore[no-untyped-def]
    def generate():  # type: ignore[no-untyped-def]
        yield "110000000001", certificate
        yield "110000000002", "某某", "会员状态不是正常，不能下载证书"

    path = tmp_path / "bulk.zip"
    with path.open("wb") as out:
        summary = write_zip(generate(), out, exported_at=datetime(2026, 1, 2, 3, 4, 5))
    assert (summary.written, summary.failed, summary.total) == (1, 1, 2)
    assert summary.failures[0].reason == "会员状态不是正常，不能下载证书"
    assert "导出时间,2026-01-02 03:04:05" in _report(path.read_bytes())


def test_duplicates_are_written_once_and_reported(certificate: bytes) -> None:
    archive = build_zip([("110000000001", certificate), ("110000000001", certificate, "甲")])
    assert zipfile.ZipFile(io.BytesIO(archive)).namelist().count("110000000001.pdf") == 1
    assert "重复的会员" in _report(archive)


def test_report_neutralises_spreadsheet_formulas() -> None:
    report = _report(build_zip([("110000000001", "=HYPERLINK(\"x\")", "没有查询到照片信息")]))
    assert "'=HYPERLINK" in report


def test_member_numbers_cannot_escape_the_archive(certificate: bytes) -> None:
    archive = build_zip([("../../etc/passwd", certificate)])
    assert zipfile.ZipFile(io.BytesIO(archive)).namelist()[0] == "______etc_passwd.pdf"


def test_names_are_number_and_safe_name(certificate: bytes) -> None:
    archive = build_zip([("110000000001", certificate, "张 三/../x:*?"), ("110000000002", certificate, " ..")])
    info = zipfile.ZipFile(io.BytesIO(archive)).infolist()
    assert [i.filename for i in info[:2]] == ["110000000001_张 三..x.pdf", "110000000002.pdf"]
    assert info[0].flag_bits & 0x800  # UTF-8 names, flagged as such


def test_same_items_same_archive(certificate: bytes) -> None:
    items = [("110000000001", certificate), ("110000000002", "某", "没有查询到照片信息")]
    assert build_zip(items) == build_zip(items)


def test_unknown_item_shape_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        build_zip([("110000000001",)])


def build_zip(items, *, total=None, progress=None, exported_at=None) -> bytes:
    """`write_zip` into memory."""
    buffer = io.BytesIO()
    write_zip(items, buffer, total=total, progress=progress, exported_at=exported_at)
    return buffer.getvalue()

"""Bulk-load exam (全科合格) photos for operators: a folder or a ZIP, files named by member number
or ID number (e.g. `110000000001.jpg`, `11010519850615123X.png`).

Each file is decoded safely first (a corrupt or hostile file is reported, not stored), matched to
one member, stored as `reference/<member_no>.jpg` in the photo bucket and recorded on the member
with an audit entry. Nothing about a person is printed but the member number.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

from chalicelib.bootstrap import Deps
from chalicelib.members import audit, records
from chalicelib.members.records import Member
from chalicelib.photo.imaging import DecodeError, decode_portrait
from chalicelib.storage import PhotoStore

SUFFIXES = (".jpg", ".jpeg", ".png", ".heic")
MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def _files(source: Path) -> Iterator[tuple[str, bytes]]:
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUFFIXES:
                yield path.name, path.read_bytes()[: MAX_FILE_BYTES + 1]
        return
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename).name
            if info.is_dir() or PurePosixPath(name).suffix.lower() not in SUFFIXES:
                continue
            if info.file_size > MAX_FILE_BYTES:  # checked before inflating: no zip bombs
                yield name, b"\0" * (MAX_FILE_BYTES + 1)
                continue
            yield name, archive.read(info)


def find_member(stem: str) -> Member | None:
    return records.find_by_number_or_identity(stem)


def load_references(d: Deps, source: Path, actor: str = "operator") -> LoadReport:
    report = LoadReport()
    for name, data in _files(source):
        if len(data) > MAX_FILE_BYTES:
            report.problems.append((name, "文件超过 8 MB"))
            continue
        member = find_member(PurePosixPath(name).stem)
        if member is None:
            report.problems.append((name, "找不到对应的会员(文件名应为会员编号或证件号码)"))
            continue
        try:
            photo = decode_portrait(data)
        except DecodeError as exc:
            report.problems.append((name, exc.message))
            continue
        out = io.BytesIO()
        photo.image.save(out, "JPEG", quality=92, dpi=(96, 96))  # re-encoded: no metadata kept
        key = f"{PhotoStore.REFERENCE_PREFIX}{member.member_no}.jpg"
        d.photos.put(key, out.getvalue())
        records.reference_photo_set(member.member_no, key)
        audit.record(member.member_no, actor, "photo", actor_role="operator",
                     detail={"event": "导入全科合格照片", "file": name})
        report.loaded.append(member.member_no)
    return report

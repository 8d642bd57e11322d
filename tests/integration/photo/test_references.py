"""Operators bulk-load exam photos from a folder or a zip named by member or ID number."""

import zipfile

from chalicelib.members.models import AuditModel, MemberModel
from chalicelib.photo.__main__ import main
from tests.conftest import FACES


def test_load_references_from_zip_by_member_and_id_number(aws, make_member, tmp_path):
    a, b = make_member(), make_member()
    archive = tmp_path / "exam.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"photos/{a.member_no}.jpg", (FACES / "orig" / "obama_02.jpg").read_bytes())
        z.writestr(f"{b.profile['id_number']}.png", (FACES / "orig" / "collins_01.png").read_bytes())
        z.writestr("999999999999.jpg", (FACES / "orig" / "hopper_01.jpg").read_bytes())
        z.writestr(f"{make_member().member_no}.jpg", b"not an image")
    assert main(["load-references", str(archive)]) == 1  # two loaded, two reported
    for m in (a, b):
        key = MemberModel.get(m.member_no).reference_key
        assert key == f"reference/{m.member_no}.jpg"
        stored = aws.photos.get(key)
        assert stored is not None and stored.body[:2] == b"\xff\xd8"
        assert any(e.action == "photo" for e in AuditModel.query(m.member_no))


def test_load_references_from_folder(aws, make_member, tmp_path):
    m = make_member()
    (tmp_path / f"{m.member_no}.jpg").write_bytes((FACES / "spec_white" / "obama_01.jpg").read_bytes())
    assert main(["load-references", str(tmp_path)]) == 0
    assert MemberModel.get(m.member_no).reference_key

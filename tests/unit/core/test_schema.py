"""The field schema is complete, labelled as the design says, and served by /meta and /meta/fields."""

import re
from pathlib import Path

from chalicelib.members import schema

DESIGN_KEYS = """name gender id_type id_number qualification_method qualification_no approval_doc_no
approval_date ethnicity birth_date political_status member_no association employment_status employer
employer_nature industry job_field job_level achievements achievement_name industry_honors mobile
office_phone email address hukou_location postal_code qq domestic_qualifications
international_qualifications other_qualifications education degree major school foreign_language
foreign_language_level title_type title_level""".split()

DESIGN_REQUIRED = """name gender id_type id_number qualification_method qualification_no approval_doc_no
approval_date ethnicity birth_date political_status association employment_status employer_nature
job_field job_level mobile email address education major school""".split()


def test_every_design_field_is_in_the_schema_once():
    keys = [f.key for f in schema.FIELDS]
    assert sorted(keys) == sorted(DESIGN_KEYS)
    assert len(keys) == len(set(keys))


def test_required_flags_match_the_design():
    assert sorted(schema.REQUIRED_KEYS) == sorted(DESIGN_REQUIRED)


def test_adjusted_labels():
    labels = {f.key: f.label for f in schema.FIELDS}
    assert labels["job_field"] == "职务领域" and labels["job_level"] == "职务层级"
    assert labels["foreign_language"] == "外语语种" and labels["foreign_language_level"] == "外语水平"
    assert labels["title_type"] == "专业技术职称种类" and labels["title_level"] == "专业技术职称等级"
    assert labels["other_qualifications"] == "其他资格"
    assert "行业荣誉" in labels["industry_honors"]


def test_option_lists():
    by_key = schema.FIELDS_BY_KEY
    assert by_key["id_type"].options == ("居民身份证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证",
                                         "港澳台居民居住证", "外国人永久居留身份证", "护照", "其他")
    assert len(by_key["ethnicity"].options) == 58 and by_key["ethnicity"].options[-2:] == ("外国血统", "其他")
    assert "群众" in by_key["political_status"].options
    for f in schema.FIELDS:
        if f.type == "select":
            assert f.options and len(set(f.options)) == len(f.options), f.key


def test_edit_rights_split_identity_from_contact():
    staff_only = {"name", "gender", "id_type", "id_number", "birth_date", "member_no", "association",
                  "qualification_method", "qualification_no", "approval_doc_no", "approval_date"}
    assert not staff_only & schema.MEMBER_EDITABLE_KEYS
    assert {"mobile", "email", "address", "education", "job_field"} <= schema.MEMBER_EDITABLE_KEYS


def test_associations():
    codes = [c for c, _ in schema.ASSOCIATIONS]
    assert len(codes) >= 37 and len(set(codes)) == len(codes)
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    names = dict(schema.ASSOCIATIONS)
    for city in ("大连", "青岛", "宁波", "厦门", "深圳", "兵团"):
        assert any(city in n for n in names.values()), city
    assert schema.NATIONAL_CODE in names

# A status value mapped to a short Chinese label, in Python or JavaScript: `"suspended": "暂停"`.
_LABEL_PAIR = re.compile(r"""["']?\b(active|suspended|cancelled|none|pending|accepted|rejected|review|approved)\b["']?"""
                         r"""\s*:\s*["'][\u4e00-\u9fff]{1,6}["']""")
# The photo check's outcome words in its audit entry ("照片检测:比对成功") are not status labels.
_NOT_LABELS = ("_STATUS_LABEL = ",)


def test_status_labels_are_written_only_in_the_schema():
    root = Path(__file__).resolve().parents[3]
    files = [*(root / "chalicelib").rglob("*.py"), root / "app.py", *(root / "frontend").rglob("*.js")]
    copies = [f"{path.relative_to(root)}:{n}: {line.strip()}"
              for path in files if path.name != "schema.py"
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if _LABEL_PAIR.search(line) and not line.strip().startswith(_NOT_LABELS)]
    assert not copies, "\n".join(copies)

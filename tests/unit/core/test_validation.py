"""Schema-driven validation: ID numbers (GB 11643), dates, phones, options, completeness."""

from datetime import date

import pytest

from chalicelib.members.validation import (
    is_complete,
    mask_id_number,
    mask_name,
    missing_fields,
    parse_resident_id,
    resident_id_check_digit,
    validate,
)

# A valid fake number: region 110105, born 1985-06-15, sequence 12 + odd digit 3 => male.
VALID_ID = "11010519850615123" + resident_id_check_digit("11010519850615123")


def keys(errors):
    return {e.key for e in errors}


def test_check_digit_known_example():
    # The worked example from GB 11643-1999 (11010519491231002X).
    assert resident_id_check_digit("11010519491231002") == "X"
    assert parse_resident_id("11010519491231002x") == (date(1949, 12, 31), "女")


@pytest.mark.parametrize("bad", [
    VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"),  # wrong check digit
    VALID_ID[:17],  # too short
    "A" + VALID_ID[1:],  # letters
    "11010519851315123" + resident_id_check_digit("11010519851315123"),  # month 13
    "11010521990101123" + resident_id_check_digit("11010521990101123"),  # born in the future
])
def test_invalid_resident_ids(bad):
    errors = validate({"id_type": "居民身份证", "id_number": bad})
    assert "id_number" in keys(errors)


def test_resident_id_must_agree_with_birth_date_and_gender():
    ok = {"id_type": "居民身份证", "id_number": VALID_ID, "birth_date": "1985-06-15", "gender": "男"}
    assert validate(ok) == []
    assert keys(validate({**ok, "birth_date": "1985-06-16"})) == {"birth_date"}
    assert keys(validate({**ok, "gender": "女"})) == {"gender"}
    # a change of gender alone is checked against the ID already on record
    assert keys(validate({"gender": "女"}, current=ok)) == {"gender"}


def test_other_id_types_use_a_looser_format():
    assert validate({"id_type": "护照", "id_number": "E12345678"}) == []
    assert "id_number" in keys(validate({"id_type": "护照", "id_number": "E1<script>"}))


@pytest.mark.parametrize("key,value,ok", [
    ("birth_date", "1990-02-28", True), ("birth_date", "1990-02-30", False), ("birth_date", "1990/02/28", False),
    ("approval_date", "2999-01-01", False),
    ("mobile", "13812345678", True), ("mobile", "12812345678", False), ("mobile", "+6591234567", True),
    ("office_phone", "010-12345678", True), ("office_phone", "12ab", False),
    ("email", "a.b@example.com", True), ("email", "a@b", False), ("email", "not an email", False),
    ("postal_code", "100000", True), ("postal_code", "10000", False),
    ("qq", "12345", True), ("qq", "01234", False),
    ("education", "大学本科", True), ("education", "本科", False),
    ("ethnicity", "汉族", True), ("ethnicity", "火星族", False),
    ("association", "110000", True), ("association", "999999", False),
    ("name", "张" * 51, False),
])
def test_field_formats(key, value, ok):
    assert (validate({key: value}) == []) is ok


def test_empty_value_clears_without_error():
    assert validate({"email": ""}) == []


def test_completeness_lists_missing_required_fields_with_labels():
    record = {"name": "张三", "email": ""}
    missing = missing_fields(record)
    assert {"key": "email", "label": "电子邮箱"} in missing
    assert {"key": "name", "label": "姓名"} not in missing
    assert not is_complete(record)


def test_masks():
    assert mask_id_number(VALID_ID) == VALID_ID[:3] + "*" * 11 + VALID_ID[-4:]
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳娜娜") == "欧阳**"

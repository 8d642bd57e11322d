"""Validation and completeness, driven by the field schema.

Pure functions: they take plain dicts of field values and return problems as data, so the API,
the Excel import and the forms' inline checks all agree. Messages are Chinese and name the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping

from chalicelib.members.schema import ASSOCIATION_NAMES, FIELDS, FIELDS_BY_KEY, RESIDENT_ID, Field
from chalicelib.spreadsheet_safety import formula_problem

_MOBILE_CN = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_INTL = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE = re.compile(r"^(?:\+?\d{1,4}[- ]?)?(?:0\d{2,3}[- ]?)?\d{7,8}(?:[- ]?(?:转|-)?\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$")
_POSTAL = re.compile(r"^\d{6}$")
_QQ = re.compile(r"^[1-9]\d{4,11}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RESIDENT_ID = re.compile(r"^[1-9]\d{16}[\dX]$")
_OTHER_ID = re.compile(r"^[A-Za-z0-9()\-]{5,30}$")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class FieldError:
    key: str
    label: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "label": self.label, "message": self.message}


def resident_id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def parse_resident_id(value: str) -> tuple[date, str] | None:
    """(birth date, gender) encoded in a valid 18-character resident ID, or None if invalid."""
    value = value.upper()
    if not _RESIDENT_ID.match(value) or resident_id_check_digit(value[:17]) != value[17]:
        return None
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    if born.year < 1900 or born > date.today():
        return None
    return born, ("男" if int(value[16]) % 2 else "女")


def normalize(values: Mapping[str, Any]) -> dict[str, str]:
    """Strip whitespace, stringify, upper-case the resident ID's X; unknown keys are dropped."""
    out: dict[str, str] = {}
    for key, raw in values.items():
        if key not in FIELDS_BY_KEY:
            continue
        text = "" if raw is None else str(raw).strip()
        if key == "id_number":
            text = text.upper().replace(" ", "")
        out[key] = text
    return out


def _check_value(f: Field, value: str, today: date) -> str | None:
    formula = formula_problem(f.label, value)
    if formula:
        return formula
    if len(value) > f.max_length:
        return f"{f.label}不能超过{f.max_length}个字符"
    if f.type == "select":
        return None if value in f.options else f"{f.label}请从下拉选项中选择"
    if f.type == "association":
        return None if value in ASSOCIATION_NAMES else f"{f.label}不是有效的协会代码"
    if f.type == "date":
        if not _DATE.match(value):
            return f"{f.label}格式应为 YYYY-MM-DD"
        try:
            d = date.fromisoformat(value)
        except ValueError:
            return f"{f.label}不是有效日期"
        if d > today:
            return f"{f.label}不能晚于今天"
        if d.year < 1900:
            return f"{f.label}不是有效日期"
        return None
    if f.type == "mobile":
        ok = _MOBILE_CN.match(value) or _MOBILE_INTL.match(value)
        return None if ok else f"{f.label}应为11位手机号码(境外号码以+国家代码开头)"
    if f.type == "phone":
        return None if _PHONE.match(value) else f"{f.label}格式不正确,例如 010-12345678"
    if f.type == "email":
        return None if _EMAIL.match(value) else f"{f.label}格式不正确"
    if f.type == "postal_code":
        return None if _POSTAL.match(value) else f"{f.label}应为6位数字"
    if f.type == "qq":
        return None if _QQ.match(value) else f"{f.label}应为5至12位数字"
    return None


def validate(changes: Mapping[str, str], current: Mapping[str, str] | None = None,
             today: date | None = None) -> list[FieldError]:
    """Problems with `changes` applied on top of `current` (empty values clear a field).

    Each changed field is checked on its own; the resident ID is also checked against the
    record's birth date and gender as they will be after the change.
    """
    today = today or date.today()
    merged = {**(current or {}), **changes}
    errors: list[FieldError] = []
    for key, value in changes.items():
        f = FIELDS_BY_KEY.get(key)
        if f is None or value == "":
            continue
        problem = _check_value(f, value, today)
        if problem:
            errors.append(FieldError(key, f.label, problem))
    bad = {e.key for e in errors}
    touched = set(changes) & {"id_type", "id_number", "birth_date", "gender"}
    if touched and not bad & {"id_number", "birth_date", "gender", "id_type"}:
        errors.extend(_check_identity(merged))
    return errors


def _check_identity(record: Mapping[str, str]) -> list[FieldError]:
    id_type, number = record.get("id_type", ""), record.get("id_number", "")
    label = FIELDS_BY_KEY["id_number"].label
    if not number:
        return []
    if id_type != RESIDENT_ID:
        if not _OTHER_ID.match(number):
            return [FieldError("id_number", label, f"{label}只能包含字母、数字、括号和连字符,5至30位")]
        return []
    parsed = parse_resident_id(number)
    if parsed is None:
        return [FieldError("id_number", label, "居民身份证号码无效(应为18位,校验位不正确或出生日期无效)")]
    born, gender = parsed
    errors = []
    if record.get("birth_date") and record["birth_date"] != born.isoformat():
        errors.append(FieldError("birth_date", FIELDS_BY_KEY["birth_date"].label,
                                 f"出生日期与身份证号码不一致(身份证为{born.isoformat()})"))
    if record.get("gender") and record["gender"] != gender:
        errors.append(FieldError("gender", FIELDS_BY_KEY["gender"].label,
                                 f"性别与身份证号码不一致(身份证为{gender})"))
    return errors


def missing_fields(record: Mapping[str, Any], fields: Iterable[Field] = FIELDS) -> list[dict[str, str]]:
    """The required fields that are empty, as [{"key", "label"}] in schema order."""
    return [{"key": f.key, "label": f.label} for f in fields
            if f.required and not str(record.get(f.key) or "").strip()]


def is_complete(record: Mapping[str, Any]) -> bool:
    return not missing_fields(record)


def mask_id_number(value: str | None) -> str:
    """Show the first 3 and last 4 characters only (`110***********123X`)."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[0] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the family name only: 张** / 欧阳*; Latin names keep their first letter."""
    if not value:
        return ""
    if len(value) >= 4 and value[:2] in _COMPOUND_SURNAMES:
        return value[:2] + "*" * (len(value) - 2)
    return value[0] + "*" * max(1, len(value) - 1)


_COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容",
                                "令狐", "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫"})

"""Validation and completeness, driven by the field schema.

Pure functions: they take plain dicts of field values and return problems as data, so the API
and the Excel import agree. The patterns and messages come from the schema, which `/meta` also
serves to the pages, so the forms' inline checks agree too (a parity test runs both sides on one
table of values). Messages are Chinese and name the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping

from chalicelib.members.schema import (
    ASSOCIATION_NAMES,
    FIELDS,
    FIELDS_BY_KEY,
    ID_CONSISTENCY_KEYS,
    PATTERNS,
    RESIDENT_ID,
    TYPE_PATTERNS,
    Field,
    message,
)
from chalicelib.spreadsheet_safety import formula_problem

# The schema's patterns, compiled the way a browser reads them: ASCII classes, whole value.
_COMPILED: dict[str, re.Pattern[str]] = {k: re.compile(p.pattern, re.ASCII) for k, p in PATTERNS.items()}


def matches(pattern: str, value: str) -> bool:
    """Whether `value` as a whole matches the schema pattern named `pattern`."""
    return _COMPILED[pattern].fullmatch(value) is not None


def is_member_no(value: object) -> bool:
    """A member number: 12 digits (the association code, then a sequence)."""
    return isinstance(value, str) and matches("member_no", value)


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
    if not matches("resident_id", value) or resident_id_check_digit(value[:17]) != value[17]:
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


def text_pattern(f: Field) -> str:
    """The schema pattern that keeps control and bidi characters out of a field's text."""
    return "text_multiline" if f.multiline else "text_line"


def _check_value(f: Field, value: str, today: date) -> str | None:
    label = f.label
    formula = formula_problem(label, value)
    if formula:
        return formula
    controls = text_pattern(f)
    if not matches(controls, value):
        return message(controls, label)
    if len(value) > f.max_length:
        return message("too_long", label, max_length=f.max_length)
    if f.type == "select":
        return None if value in f.options else message("select", label)
    if f.type == "association":
        return None if value in ASSOCIATION_NAMES else message("association", label)
    if f.type == "date":
        return _check_date(label, value, today)
    names = TYPE_PATTERNS.get(f.type, ())
    if names and not any(matches(n, value) for n in names):
        return message(names[0], label)
    return None


def _check_date(label: str, value: str, today: date) -> str | None:
    if not matches("date", value):
        return message("date", label)
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return message("date_invalid", label)
    if d > today:
        return message("date_future", label)
    if d.year < 1900:
        return message("date_invalid", label)
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
    if set(changes) & set(ID_CONSISTENCY_KEYS) and "id_type" not in bad and "id_number" not in bad:
        # The ID number's own check (check digit) is reported together with the record's other
        # problems, not in a later round; a consistency finding on a field that is itself
        # malformed is left out (its format message already stands there).
        errors.extend(e for e in _check_identity(merged) if e.key not in bad)
    return errors


def _check_identity(record: Mapping[str, str]) -> list[FieldError]:
    id_type, number = record.get("id_type", ""), record.get("id_number", "")
    label = FIELDS_BY_KEY["id_number"].label
    if not number:
        return []
    if id_type != RESIDENT_ID:
        if not matches("other_id", number):
            return [FieldError("id_number", label, message("other_id", label))]
        return []
    parsed = parse_resident_id(number)
    if parsed is None:
        return [FieldError("id_number", label, message("resident_id", label))]
    born, gender = parsed
    errors = []
    if record.get("birth_date") and record["birth_date"] != born.isoformat():
        errors.append(FieldError("birth_date", FIELDS_BY_KEY["birth_date"].label,
                                 message("birth_mismatch", value=born.isoformat())))
    if record.get("gender") and record["gender"] != gender:
        errors.append(FieldError("gender", FIELDS_BY_KEY["gender"].label,
                                 message("gender_mismatch", value=gender)))
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

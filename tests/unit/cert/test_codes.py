"""Verification codes: genuine ones verify, guessed, altered and borrowed ones do not."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from chalicelib.cert.codes import read_code, sign_code, verification_url

KEY = "test-verify-key-0123456789abcdef0123456789abcdef"
NO = "110000123456"
DAY = date(2024, 3, 1)


def test_genuine_code_verifies_and_carries_its_issue_date() -> None:
    code = sign_code(KEY, NO, DAY)
    assert len(code) == 24 and code.isalnum() and code == code.upper()
    assert verify_code(KEY, NO, code)
    assert read_code(KEY, NO, code) == DAY
    assert read_code(KEY, NO, code.lower()) == DAY  # typed in by hand


def test_deterministic_per_member_and_day() -> None:
    assert sign_code(KEY, NO, DAY) == sign_code(KEY, NO, DAY)
    assert sign_code(KEY, NO, DAY) != sign_code(KEY, NO, date(2024, 3, 2))
    assert sign_code(KEY, NO, DAY) != sign_code(KEY, "110000123457", DAY)


def test_reissue_keeps_the_earlier_printout_verifiable() -> None:
    old, new = sign_code(KEY, NO, date(2023, 1, 5)), sign_code(KEY, NO, DAY)
    assert read_code(KEY, NO, old) == date(2023, 1, 5)
    assert read_code(KEY, NO, new) == DAY


def test_code_of_another_member_does_not_verify() -> None:
    assert not verify_code(KEY, "110000123457", sign_code(KEY, NO, DAY))


def test_code_under_another_key_does_not_verify() -> None:
    assert not verify_code(KEY, NO, sign_code("some-other-key-0123456789", NO, DAY))


@pytest.mark.parametrize("position", range(24))
def test_any_altered_character_breaks_the_code(position: int) -> None:
    code = sign_code(KEY, NO, DAY)
    replacement = "A" if code[position] != "A" else "B"
    assert not verify_code(KEY, NO, code[:position] + replacement + code[position + 1:])


def test_moving_the_date_without_the_key_does_not_verify() -> None:
    raw = base64.b32decode(sign_code(KEY, NO, DAY))
    shifted = (int.from_bytes(raw[:2], "big") + 1).to_bytes(2, "big") + raw[2:]
    assert not verify_code(KEY, NO, base64.b32encode(shifted).decode())


@pytest.mark.parametrize("bad", ["", "A" * 24, "A" * 23, "A" * 25, "1" * 24, "=" * 24,
                                 "ABCDEFGHIJKLMNOPQRSTUVW!", None, 12345])
def test_malformed_codes_are_rejected_without_error(bad: object) -> None:
    assert not verify_code(KEY, NO, bad)  # type: ignore[arg-type]


def test_empty_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        sign_code("", NO, DAY)


def test_url_shape() -> None:
    code = sign_code(KEY, NO, DAY)
    assert verification_url("https://ecert.example.com/", NO, code) == \
        f"https://ecert.example.com/verify/?no={NO}&c={code}"


def verify_code(key: str, member_no: str, code: str) -> bool:
    """Genuine for this member, whatever the issue date (what the verification page needs)."""
    return read_code(key, member_no, code) is not None

"""The mini-program end to end: its pages, with a `wx` that performs real HTTP, against the local
stack started on free ports with CAPTCHA_TEST_CODE and untouched demo data (`fresh_stack`: the
browser tests change the same demo members). The flows: a wrong
password and a wrong captcha show the API's messages; a member without a photo uploads
obama_01.jpg, sees 比对成功 and downloads a PDF; an incomplete member completes the form and
downloads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.miniprogram.node import run_node_tests

pytestmark = pytest.mark.stack


CAPTCHA_CODE = "TEST"  # what the stack fixtures set as CAPTCHA_TEST_CODE


def test_mini_program_against_the_local_stack(fresh_stack: Any) -> None:
    run_node_tests(["test/e2e.test.js"], {"ECERT_API_BASE": fresh_stack.api, "ECERT_CAPTCHA_CODE": CAPTCHA_CODE})

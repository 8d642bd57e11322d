"""Acceptance findings walked in Chromium at 375 px and 1440 px: a suspended or cancelled member's
status screen, the staff override of a failed face comparison, the member's example photo and the
one-thing-first report for a file that is not a photo, and the staff detail's secondary download."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import FACES
from tests.e2e.test_flows import DESKTOP, MOBILE, PHOTO_CHECK_TIMEOUT, login

pytestmark = pytest.mark.e2e
BOTH = pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["375px", "1440px"])


@BOTH
@pytest.mark.parametrize("member_no,label", [("110000000005", "暂停"), ("110000000012", "注销")],
                         ids=["suspended", "cancelled"])
def test_inactive_member_sees_status_and_contact_and_no_photo_or_certificate_action(
        page: Any, stack: Any, shots: Any, member_no: str, label: str) -> None:
    login(page, stack, member_no)
    card = page.locator("#not-active")
    card.wait_for()
    text = card.inner_text()
    assert f"您的会籍状态为「{label}」" in text and "请联系北京注册会计师协会" in text
    assert "会籍" in text and "只有会籍状态正常的会员可以上传照片和下载会员证" in text
    for name in ("上传照片", "重新上传照片", "信息确认并下载会员证"):
        assert page.get_by_role("button", name=name, exact=True).count() == 0, name
    shots(page, "status-screen")
    # and the API says the same to a client that tries anyway
    token = stack.login("member", member_no)
    status, _, raw = stack.call("POST", "/me/photo/uploads", {}, token=token)
    assert status == 409 and json.loads(raw)["code"] == "NOT_ACTIVE"


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["1440px"])
def test_staff_confirm_of_a_face_mismatch_needs_a_written_reason(page: Any, stack: Any, shots: Any, console: Any) -> None:
    """national_staff: Sample 示例 (100000000002, exam photo biden_01) gets obama_01 in the dialog."""
    console.allow(r"status of 409")
    login(page, stack, "national_staff", staff=True)
    page.locator("table.members-table").wait_for()
    page.goto(stack.web + "/admin/#/members/100000000002")
    page.get_by_role("button", name="上传照片").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("img[alt='全科合格照片']").wait_for()
    dialog.locator("#dlg-photo-file").set_input_files(str(FACES / "spec_white" / "obama_01.jpg"))
    dialog.get_by_text("人脸比对未通过:不能直接确认").wait_for(timeout=PHOTO_CHECK_TIMEOUT)
    text = dialog.inner_text()
    assert "联系所属注协" not in text and "请上传本人" not in text  # written for staff
    confirm = dialog.locator("#dlg-confirm")
    assert confirm.is_disabled()
    shots(page, "mismatch-blocked")
    dialog.locator("#dlg-override").fill("已核对身份证件并电话联系会员本人,确认为同一人")
    assert confirm.is_enabled()
    confirm.click()
    dialog.get_by_text("上传成功").wait_for()
    shots(page, "override-confirmed")
    dialog.get_by_role("button", name="关闭").first.click()
    page.get_by_role("tab", name="操作记录").click()
    page.get_by_text("原因:已核对身份证件并电话联系会员本人,确认为同一人").wait_for()
    shots(page, "history-with-reason")


@BOTH
def test_member_sees_an_example_and_a_non_photo_is_named_first(page: Any, stack: Any, shots: Any, tmp_path: Any) -> None:
    login(page, stack, "110000000010")
    page.get_by_role("button", name="上传照片").first.click()
    example = page.locator("#example-photo")
    example.wait_for()
    assert "宽 178 像素" in example.inner_text() and "高 220 像素" in example.inner_text()
    page.locator("#consent-check, #photo-file").first.wait_for(state="attached")
    if page.locator("#consent-check").count():  # the other width's run may have consented already
        page.get_by_label("我已阅读并同意上述人脸信息处理规则").check()
        page.get_by_role("button", name="同意并继续").click()
    not_photo = tmp_path / "说明.jpg"
    not_photo.write_bytes(b"%PDF-1.4 this is not a photo\n" * 40)
    page.locator("#photo-file").set_input_files(str(not_photo))
    page.locator(".alert-error .alert-title", has_text="文件不是照片").wait_for(timeout=PHOTO_CHECK_TIMEOUT)
    assert page.locator(".check.skipped").count() >= 6  # the rest: not checked
    assert page.locator(".check.bad").count() == 1
    assert page.locator(".check.skipped .check-help").count() == 0  # without advice
    shots(page, "not-a-photo")


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["1440px"])
def test_incomplete_record_offers_download_as_secondary_with_reason(page: Any, stack: Any, shots: Any) -> None:
    login(page, stack, "bj_staff", staff=True)
    page.locator("table.members-table").wait_for()
    assert page.locator("#side-nav").get_by_role("link", name="非执业电子会员证").count() == 1
    page.goto(stack.web + "/admin/#/members/110000000007")
    btn = page.locator("#btn-cert")
    btn.wait_for()
    assert "btn-primary" not in (btn.get_attribute("class") or "")
    assert "暂不能下载" in page.locator("#cert-blocked").inner_text()
    shots(page, "secondary-download")

    page.goto(stack.web + "/admin/#/members/new")
    page.locator("#new-id_type").select_option("居民身份证")
    page.locator("#new-id_number").fill("110105199003070025")
    page.locator("#new-name").click()  # leaving the field commits it
    assert page.locator("#new-birth_date").input_value() == "1990-03-07"
    assert page.locator("#new-gender").input_value() == "女"
    shots(page, "derived-from-id")

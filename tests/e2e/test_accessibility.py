"""WCAG 2.1 AA in the browser: axe-core on every page and main state, at 375 px and 1440 px.

axe-core comes from npm, pinned in tests/e2e/axe/package-lock.json (`make axe-deps`); it is
injected into each state and run with the WCAG 2 A/AA and 2.1 A/AA rules, none disabled. The same
walk checks what a user on a phone trips over: no horizontal page scroll, numbers (member numbers,
ID numbers, phone numbers) on one line, every staff navigation item reachable, and the support
contact shown in the footer of every page and with every error.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.test_flows import DESKTOP, MOBILE, login

pytestmark = pytest.mark.e2e

AXE = ROOT / "tests" / "e2e" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SUPPORT = "010-88250337/0338"
WIDTHS = pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["375px", "1440px"])

RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\\n` +
    v.nodes.slice(0, 6).map((n) => `    ${n.target.join(" ")} :: ${n.failureSummary.replace(/\\s+/g, " ")}`).join("\\n"));
}"""

# Each visible number must sit on one line: its text's rectangles all share one top.
NUMBERS_ON_ONE_LINE = """() => [...document.querySelectorAll(".num, #found-no")]
  .filter((el) => el.offsetParent !== null && el.textContent.trim())
  .filter((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size > 1;
  })
  .map((el) => el.textContent.trim())"""


class Audit:
    """Runs axe and the layout checks on a page state; collects every finding, then asserts once."""

    def __init__(self, shots: Any) -> None:
        self.shots = shots
        self.findings: list[str] = []
        self.states = 0

    def __call__(self, page: Any, name: str, *, footer: bool = True) -> None:
        self.states += 1
        page.wait_for_timeout(150)  # let transitions and focus moves settle
        self.shots(page, name)  # also asserts: no horizontal scroll
        if not page.evaluate("() => Boolean(window.axe)"):
            # evaluated, not added as a <script>: the site's CSP refuses inline scripts
            page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        for v in page.evaluate(RUN_AXE, TAGS):
            self.findings.append(f"[{name}] {v}")
        wrapped = page.evaluate(NUMBERS_ON_ONE_LINE)
        if wrapped:
            self.findings.append(f"[{name}] numbers wrap: {wrapped}")
        if footer:
            foot = page.locator("footer.site-footer")
            text = foot.inner_text() if foot.count() else ""
            if SUPPORT not in text or "咨询电话" not in text:
                self.findings.append(f"[{name}] footer has no support contact: {text!r}")

    def done(self) -> None:
        assert not self.findings, f"{len(self.findings)} findings in {self.states} states:\n" + "\n".join(self.findings)


@pytest.fixture()
def audit(shots: Any) -> Audit:
    assert AXE.exists(), f"{AXE} is missing: run `make axe-deps` (npm ci in tests/e2e/axe)"
    return Audit(shots)


def wait_captcha(page: Any) -> None:
    page.wait_for_function("() => { const i = document.querySelector('.captcha-img img'); return i && i.src.startsWith('data:image'); }")


def error_has_support(page: Any, audit: Audit, locator: str = ".alert-error") -> None:
    box = page.locator(locator).first
    box.wait_for()
    if SUPPORT not in box.inner_text():
        audit.findings.append(f"error without the support contact: {box.inner_text()!r}")


@WIDTHS
def test_public_pages_and_logins(page: Any, stack: Any, audit: Audit, console: Any) -> None:
    console.allow(r"status of 4\d\d")  # refused logins and look-ups, a made-up verification code
    page.goto(stack.web + "/")
    page.locator("form.login-form").wait_for()
    wait_captcha(page)
    # the number check itself: a number forced to wrap is caught, and it is gone again after
    page.evaluate("""() => document.querySelector("main").append(Object.assign(document.createElement("span"),
      {id: "probe", className: "num", style: "white-space: normal; word-break: break-all; display: inline-block; width: 3em",
       textContent: "110000000001"}))""")
    assert page.evaluate(NUMBERS_ON_ONE_LINE) == ["110000000001"]
    page.evaluate("() => document.getElementById('probe').remove()")
    audit(page, "member-login")
    page.get_by_label("会员证书编号").fill("990000009999")  # no such member: nothing gets locked
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("textbox", name="验证码").fill("TEST")
    page.get_by_role("button", name="登录").click()
    error_has_support(page, audit)
    audit(page, "member-login-error")

    page.goto(stack.web + "/admin/")
    page.locator("form.login-form").wait_for()
    wait_captcha(page)
    audit(page, "admin-login")

    page.goto(stack.web + "/lookup/")
    wait_captcha(page)
    intro = page.locator("main").inner_text()
    if not ("忘记密码" in intro and "不会显示密码" in intro and SUPPORT in intro):
        audit.findings.append(f"lookup page lacks the first-password help or support: {intro!r}")
    audit(page, "lookup")
    token = stack.login("staff", "bj_staff")
    member = stack.json("GET", "/members/110000000003", token=token)
    page.get_by_label("姓名").fill(member["name"])
    page.get_by_label("证件类型").select_option(member["id_type"])
    page.get_by_label("证件号码").fill(member["id_number"])
    page.get_by_role("textbox", name="验证码").fill("TEST")
    page.get_by_role("button", name="查询").click()
    page.locator("#found-no").wait_for()
    if "忘记密码" not in page.locator(".lookup-result").inner_text():
        audit.findings.append("lookup result does not say how to get a first password")
    audit(page, "lookup-found")
    page.get_by_label("姓名").fill("不存在的人")
    page.get_by_role("textbox", name="验证码").fill("TEST")
    page.get_by_role("button", name="查询").click()
    error_has_support(page, audit)
    audit(page, "lookup-not-found")

    page.goto(stack.web + "/apply/")
    page.locator("form.apply-form, .apply-form").first.wait_for()
    audit(page, "apply")

    page.goto(stack.web + "/verify/?no=110000000001&c=x")
    page.locator(".verdict").wait_for()
    audit(page, "verify-invalid")
    audit.done()


@pytest.mark.parametrize(("viewport", "member_no"), [(MOBILE, "110000000011"), (DESKTOP, "310000000004")],
                         ids=["375px", "1440px"])
def test_member_states(page: Any, stack: Any, audit: Audit, console: Any, member_no: str) -> None:
    """An incomplete member without a photo: home, the info form (with its inline errors), the
    photo upload with the face-processing consent, then the file picker."""
    login(page, stack, member_no)
    page.locator("#go-complete").wait_for()
    audit(page, "member-home")

    page.locator("#go-complete").click()
    page.locator("form.info-form").wait_for()
    audit(page, "info-form")
    page.get_by_role("button", name="保存并提交信息").click()
    page.locator("form.info-form .field-error:not([hidden])").first.wait_for()
    audit(page, "info-form-errors")

    page.goto(stack.web + "/")
    page.get_by_role("button", name="上传照片").first.click()
    page.get_by_label("我已阅读并同意上述人脸信息处理规则").wait_for()
    audit(page, "upload-consent")
    page.get_by_label("我已阅读并同意上述人脸信息处理规则").check()
    page.get_by_role("button", name="同意并继续").click()
    page.locator("#photo-file").wait_for(state="attached")
    audit(page, "upload-picker")
    audit.done()


@WIDTHS
def test_staff_states(page: Any, stack: Any, audit: Audit, viewport: dict[str, int]) -> None:
    login(page, stack, "bj_staff", staff=True)
    page.locator("table.members-table").wait_for()
    audit(page, "staff-list")
    for link in page.locator("#side-nav a").all():
        if link.is_visible():  # every navigation item is on screen, none cut off
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], link.inner_text()
    assert page.locator("#side-nav a", has_text="修改密码").is_visible() or page.locator("#change-password").is_visible()

    page.goto(stack.web + "/admin/#/members/110000000001")
    page.get_by_role("button", name="基本信息修改").wait_for()
    page.locator(".photo-panel img").first.wait_for()
    audit(page, "staff-detail")
    page.get_by_role("tab", name="操作记录").click()
    page.locator(".history-table, [role=tabpanel] .empty").first.wait_for()
    audit(page, "staff-history")
    page.get_by_role("tab", name="基本信息").click()

    page.get_by_role("button", name="上传照片").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#dlg-photo-file").wait_for(state="attached")
    audit(page, "staff-photo-dialog")
    dialog.get_by_role("button", name="关闭").first.click()

    page.get_by_role("button", name="基本信息修改").click()
    page.locator("#ed-address").wait_for()
    audit(page, "staff-edit")

    page.goto(stack.web + "/admin/#/applications")
    page.locator(".applications-table, [data-view=applications] .empty").first.wait_for()
    audit(page, "staff-applications")
    rows = page.locator(".applications-table tbody tr")
    if rows.count():  # the demo data has pending applications; a dialog is opened, nothing decided
        rows.first.get_by_role("button", name="查看").click()
        page.locator("dialog[open] .record-view").wait_for()
        audit(page, "staff-application-dialog")
        page.locator("dialog[open]").get_by_role("button", name="关闭").first.click()
        reject = rows.first.get_by_role("button", name="驳回")
        if reject.count():
            reject.click()
            page.locator("dialog[open] textarea").wait_for()
            audit(page, "staff-reason-dialog")
            page.locator("dialog[open]").get_by_role("button", name="取消").click()

    page.goto(stack.web + "/admin/#/reviews")
    page.locator('[data-view="reviews"] h1').wait_for()
    page.wait_for_function("() => !document.querySelector('[data-view=reviews] .progress')")
    audit(page, "staff-reviews")

    page.goto(stack.web + "/admin/#/data")
    page.locator('[data-view="data"] h1').wait_for()
    audit(page, "staff-data")
    audit.done()

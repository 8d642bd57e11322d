const { test } = require("node:test");
const assert = require("node:assert/strict");
const { renderPage, type, tap, textOf, has, until, text } = require("./helpers/sim.js");
const { fakeApi, callsTo } = require("./helpers/fakeapi.js");

test("忘记密码: validates, sends the code request, then resets with the mailed code", async () => {
  const { wx, log, texts } = fakeApi({
    "POST /auth/password/forgot": () => ({ ok: true, message: "如该账号存在且登记了电子邮箱,验证码已发送,请查收邮件。" }),
    "POST /auth/password/reset": () => ({ ok: true }),
  });
  const page = renderPage("forgot", wx);
  await page.instance.onLoad({});
  assert.ok(text(page).includes(texts.forgot_intro));
  await page.instance.sendCode();
  assert.equal(textOf(page, "#username-error"), texts.enter_member_no);
  assert.equal(textOf(page, "#captcha-error"), texts.enter_captcha);
  assert.equal(callsTo(log, "POST /auth/password/forgot").length, 0);

  await type(page, "#username", "110000000002");
  await type(page, "#captcha", "abcd");
  await page.instance.sendCode();
  assert.deepEqual(callsTo(log, "POST /auth/password/forgot")[0].data,
    { user_type: "member", username: "110000000002", captcha_id: "c1", captcha_code: "abcd" });
  assert.equal(textOf(page, "#forgot-message"), "如该账号存在且登记了电子邮箱,验证码已发送,请查收邮件。");

  await type(page, "#code", "123456");
  await type(page, "#password1", "short");
  await type(page, "#password2", "other");
  await page.instance.reset();
  assert.equal(textOf(page, "#password1-error"), texts.password_too_short);
  assert.equal(textOf(page, "#password2-error"), texts.password_mismatch);

  await type(page, "#password1", "New#Pass2026");
  await type(page, "#password2", "New#Pass2026");
  await page.instance.reset();
  assert.deepEqual(callsTo(log, "POST /auth/password/reset")[0].data,
    { user_type: "member", username: "110000000002", code: "123456", new_password: "New#Pass2026" });
  assert.deepEqual(wx.__calls.navigate, [{ how: "reLaunch", url: "/pages/login/login?reason=reset" }]);
});

test("忘记密码: a wrong mail code shows the API's message next to the code", async () => {
  const { wx } = fakeApi({
    "POST /auth/password/forgot": () => ({ ok: true }),
    "POST /auth/password/reset": () => ({ status: 400, body: { code: "RESET_CODE_INVALID", message: "验证码错误或已过期,请重新获取" } }),
  });
  const page = renderPage("forgot", wx);
  await page.instance.onLoad({});
  await type(page, "#username", "110000000002");
  await type(page, "#captcha", "abcd");
  await page.instance.sendCode();
  await type(page, "#code", "000000");
  await type(page, "#password1", "New#Pass2026");
  await type(page, "#password2", "New#Pass2026");
  await page.instance.reset();
  assert.equal(textOf(page, "#code-error"), "验证码错误或已过期,请重新获取");
  assert.deepEqual(wx.__calls.navigate, []);
});

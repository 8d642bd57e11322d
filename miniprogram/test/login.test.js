const { test } = require("node:test");
const assert = require("node:assert/strict");
const { renderPage, until, text, type, tap, textOf, has } = require("./helpers/sim.js");
const { fakeApi, callsTo } = require("./helpers/fakeapi.js");

test("login renders the manual's fields, the captcha image and the support contact", async () => {
  const { wx, texts } = fakeApi();
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  const shown = text(page);
  for (const word of ["非执业会员", "会员编号", "密码", "验证码", "忘记密码", "会员编号查询", "咨询电话", "010-88250337/0338"]) {
    assert.ok(shown.includes(word), `missing ${word}: ${shown}`);
  }
  assert.ok(shown.includes(texts.captcha_note));
  assert.equal(page.instance.data.captchaImage, "data:image/png;base64,iVBORw0KGgo=");
});

test("login validates before calling the API", async () => {
  const { wx, log, texts } = fakeApi();
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  await tap(page, "#login");
  await until(() => has(page, "#username-error"));
  assert.equal(textOf(page, "#username-error"), texts.enter_member_no);
  assert.equal(textOf(page, "#password-error"), texts.enter_password);
  assert.equal(textOf(page, "#captcha-error"), texts.enter_captcha);
  assert.equal(callsTo(log, "POST /auth/login").length, 0);
});

test("login sends the member's credentials and shows the API's message as given", async () => {
  const { wx, log } = fakeApi({
    "POST /auth/login": () => ({ status: 401, body: { code: "LOGIN_FAILED", message: "用户名或密码错误" } }),
  });
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  await type(page, "#username", "110000000002");
  await type(page, "#password", "wrong");
  await type(page, "#captcha", "abcd");
  await page.instance.submit();
  const [call] = callsTo(log, "POST /auth/login");
  assert.deepEqual(call.data, { user_type: "member", username: "110000000002", password: "wrong", captcha_id: "c1", captcha_code: "abcd" });
  assert.equal(call.header.Authorization, undefined);
  assert.equal(textOf(page, "#login-message"), "用户名或密码错误");
  assert.equal(callsTo(log, "GET /auth/captcha").length, 2, "a new captcha after a failure");
  assert.deepEqual(wx.__calls.navigate, []);
});

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { renderPage, until, text, type, tap, textOf, has } = require("./helpers/sim.js");
const { fakeApi, callsTo, signIn } = require("./helpers/fakeapi.js");

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

test("a successful login keeps the session and opens 首页", async () => {
  const { wx, log } = fakeApi({
    "POST /auth/login": () => ({ token: "t9", expires_in: 1800, user: { username: "110000000002", role: "member", must_change_password: false } }),
  });
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  await type(page, "#username", " 110000000002 ");
  await type(page, "#password", "Demo#2026");
  await type(page, "#captcha", "abcd");
  await tap(page, "#login");
  await until(() => wx.__calls.navigate.length);
  assert.equal(callsTo(log, "POST /auth/login")[0].data.username, "110000000002");
  assert.equal(wx.getStorageSync("ecert.session").token, "t9");
  assert.deepEqual(wx.__calls.navigate, [{ how: "reLaunch", url: "/pages/home/home" }]);
});

test("a first login with the initial password goes to 修改密码", async () => {
  const { wx } = fakeApi({
    "POST /auth/login": () => ({ token: "t9", expires_in: 1800, user: { must_change_password: true } }),
  });
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  await type(page, "#username", "110000000002");
  await type(page, "#password", "Init#2026");
  await type(page, "#captcha", "abcd");
  await page.instance.submit();
  assert.deepEqual(wx.__calls.navigate, [{ how: "redirectTo", url: "/pages/password/password?forced=1" }]);
});

test("a wrong captcha shows the API's message next to the captcha, with a new image", async () => {
  const { wx, log } = fakeApi({
    "POST /auth/login": () => ({ status: 400, body: { code: "CAPTCHA_INVALID", message: "验证码错误或已过期,请重新输入" } }),
  });
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  await type(page, "#username", "110000000002");
  await type(page, "#password", "x");
  await type(page, "#captcha", "zz");
  await page.instance.submit();
  assert.equal(textOf(page, "#captcha-error"), "验证码错误或已过期,请重新输入");
  assert.equal(has(page, "#login-message"), false);
  assert.equal(callsTo(log, "GET /auth/captcha").length, 2);
  await tap(page, "#captcha-image");
  await until(() => callsTo(log, "GET /auth/captcha").length === 3, { what: "tap refreshes the captcha" });
});

test("returning after an expired session or a logout says why; the links open 忘记密码 and 会员编号查询", async () => {
  const { wx, texts } = fakeApi();
  const page = renderPage("login", wx);
  await page.instance.onLoad({ reason: "expired" });
  assert.equal(textOf(page, "#login-message"), texts.session_expired);
  const again = renderPage("login", wx);
  await again.instance.onLoad({ reason: "logout" });
  assert.equal(textOf(again, "#login-message"), texts.logged_out);
  await tap(again, "#to-forgot");
  await tap(again, "#to-lookup");
  assert.deepEqual(wx.__calls.navigate.map((n) => n.url), ["/pages/forgot/forgot", "/pages/lookup/lookup"]);
});

test("opening 登录 with a live session goes straight to 首页", async () => {
  const { wx, log } = fakeApi();
  signIn(wx);
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  assert.deepEqual(wx.__calls.navigate, [{ how: "reLaunch", url: "/pages/home/home" }]);
  assert.equal(callsTo(log, "POST /auth/login").length, 0);
});

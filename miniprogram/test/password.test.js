const { test } = require("node:test");
const assert = require("node:assert/strict");
const { renderPage, type, textOf, has } = require("./helpers/sim.js");
const { fakeApi, callsTo, signIn } = require("./helpers/fakeapi.js");

test("修改密码 forced on first login: the note, checks, the API's verdict, the new session", async () => {
  let answer = { status: 400, body: { code: "WRONG_PASSWORD", message: "原密码不正确" } };
  const { wx, log, texts } = fakeApi({ "POST /auth/password/change": () => answer });
  signIn(wx, { must_change_password: true });
  const page = renderPage("password", wx);
  await page.instance.onLoad({ forced: "1" });
  assert.equal(textOf(page, "#forced-note"), texts.first_login);
  assert.ok(has(page, "#logout"));

  await type(page, "#old-password", "Init#2026");
  await type(page, "#password1", "Init#2026");
  await type(page, "#password2", "Init#2026");
  await page.instance.submit();
  assert.equal(textOf(page, "#password1-error"), texts.password_unchanged);

  await type(page, "#password1", "New#Pass2026");
  await type(page, "#password2", "New#Pass2026");
  await page.instance.submit();
  assert.equal(textOf(page, "#old-password-error"), "原密码不正确");
  assert.deepEqual(callsTo(log, "POST /auth/password/change")[0].data, { old_password: "Init#2026", new_password: "New#Pass2026" });

  answer = { token: "t-new", expires_in: 1800, user: { must_change_password: false } };
  await page.instance.submit();
  assert.equal(wx.getStorageSync("ecert.session").token, "t-new");
  assert.deepEqual(wx.__calls.toast, [texts.password_changed]);
  assert.deepEqual(wx.__calls.navigate.at(-1), { how: "reLaunch", url: "/pages/home/home" });
});

test("修改密码 without a session goes to 登录", async () => {
  const { wx } = fakeApi();
  const page = renderPage("password", wx);
  await page.instance.onLoad({});
  assert.deepEqual(wx.__calls.navigate, [{ how: "reLaunch", url: "/pages/login/login?reason=expired" }]);
});

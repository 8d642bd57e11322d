const { test } = require("node:test");
const assert = require("node:assert/strict");
const { renderPage, tap, textOf, has, text, until } = require("./helpers/sim.js");
const { fakeApi, callsTo, signIn, me } = require("./helpers/fakeapi.js");

async function home(body, routes = {}) {
  const f = fakeApi({ "GET /me": () => body, ...routes });
  signIn(f.wx);
  const page = renderPage("home", f.wx);
  await page.instance.onLoad({});
  await page.instance.onShow();
  return { page, ...f };
}

test("首页 shows status at a glance and, without a photo, 上传照片 as the next action", async () => {
  const { page, texts } = await home(me());
  assert.equal(textOf(page, "#member-status"), "正常");
  assert.equal(textOf(page, "#photo-status"), texts.photo_status_labels.none);
  assert.equal(textOf(page, "#info-status"), texts.complete_label);
  assert.ok(textOf(page, "#no-photo").includes(texts.photo_missing));
  assert.ok(has(page, "#go-photo") && !has(page, "#go-cert") && !has(page, "#go-info"));
  assert.ok(text(page).includes("咨询电话"));
});

test("首页: incomplete information comes first, with the missing fields", async () => {
  const { page, texts, wx } = await home(me({ completeness: { complete: false, missing: [{ key: "mobile", label: "移动电话" }, { key: "email", label: "电子邮箱" }] } }));
  assert.equal(textOf(page, "#info-status"), texts.incomplete_label);
  assert.ok(textOf(page, "#incomplete").includes(texts.info_incomplete));
  assert.ok(textOf(page, "#incomplete").includes(texts.missing_prefix + "移动电话、电子邮箱"));
  await tap(page, "#go-info");
  assert.deepEqual(wx.__calls.navigate, [{ how: "navigateTo", url: "/pages/info/info" }]);
});

test("首页: with an accepted photo the next action is 下载会员证", async () => {
  const { page, wx } = await home(me({ photo: { status: "accepted", has_photo: true } }));
  assert.ok(has(page, "#go-cert"));
  await tap(page, "#go-cert");
  assert.deepEqual(wx.__calls.navigate, [{ how: "navigateTo", url: "/pages/cert/cert" }]);
});

test("首页: a photo under review says so and offers no upload", async () => {
  const { page, texts } = await home(me({ photo: { status: "review", has_photo: false } }));
  assert.equal(textOf(page, "#waiting"), texts.photo_status_lines.review);
  assert.ok(!has(page, "#go-photo") && !has(page, "#menu-photo"));
});

test("首页: a suspended member sees the status and whom to contact, and no photo or certificate action", async () => {
  const { page, texts } = await home(me({ status: "suspended", status_reason: "未按规定参加继续教育",
    member: { status: "suspended", status_label: "暂停", association_name: "北京注册会计师协会" },
    standing: { status: "suspended", status_label: "暂停", active: false, meaning: "会籍暂停期间,不能上传照片", contact: "北京注册会计师协会" } }));
  assert.ok(textOf(page, "#status-meaning").includes("会籍暂停期间,不能上传照片"));
  assert.equal(textOf(page, "#status-contact"), texts.status_contact.replace("{contact}", "北京注册会计师协会"));
  assert.ok(textOf(page, "#not-active").includes("您的会籍状态为「暂停」"));
  assert.ok(textOf(page, "#not-active").includes(texts.not_active));
  assert.ok(textOf(page, "#not-active").includes("未按规定参加继续教育"));
  for (const id of ["#go-photo", "#menu-photo", "#go-cert"]) assert.ok(!has(page, id), id);
  assert.ok(text(page).includes("010-88250337/0338"));
});

test("首页: an initial password still in use sends the member to 修改密码", async () => {
  const { wx } = await home(null, { "GET /me": () => ({ status: 403, body: { code: "PASSWORD_CHANGE_REQUIRED", message: "首次登录请先修改初始密码" } }) });
  assert.deepEqual(wx.__calls.navigate, [{ how: "redirectTo", url: "/pages/password/password?forced=1" }]);
});

test("首页: 退出 revokes the token and returns to 登录", async () => {
  const { page, wx, log } = await home(me(), { "POST /auth/logout": () => ({ ok: true }) });
  await tap(page, "#logout");
  await until(() => wx.__calls.navigate.length);
  assert.equal(callsTo(log, "POST /auth/logout")[0].header.Authorization, "Bearer tok-1");
  assert.equal(wx.getStorageSync("ecert.session"), "");
  assert.deepEqual(wx.__calls.navigate, [{ how: "reLaunch", url: "/pages/login/login?reason=logout" }]);
});

test("the support contact calls the first number when tapped", async () => {
  const { page, wx } = await home(me());
  const inner = page.querySelector("#support").querySelector(".support");
  inner.dispatchEvent("tap");
  await until(() => wx.__calls.phone.length);
  assert.deepEqual(wx.__calls.phone, ["010-88250337"]);
});

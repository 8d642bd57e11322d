/** The one API module: base URL from config.js, session in storage with expiry, errors as given. */
const { test } = require("node:test");
const assert = require("node:assert/strict");
const path = require("path");
const fs = require("fs");
const os = require("os");
const { ROOT, config, tick } = require("./helpers/sim.js");
const { fakeApi, callsTo, signIn } = require("./helpers/fakeapi.js");

const api = require(path.join(ROOT, "utils", "api.js"));

function install(routes) {
  const f = fakeApi(routes);
  global.wx = f.wx;
  return f;
}

test("every call goes to config.apiBase with the bearer token from storage", async () => {
  const { log } = install({ "GET /me": () => ({ ok: 1 }) });
  signIn(global.wx);
  assert.deepEqual(await api.get("/me"), { ok: 1 });
  assert.equal(log[0].url, config.apiBase.replace(/\/+$/, "") + "/me");
  assert.equal(log[0].header.Authorization, "Bearer tok-1");
  assert.equal(log[0].header.Accept, "application/json");
});

test("a login answer is kept with its expiry; an expired session sends nothing and returns to 登录", async () => {
  const { wx, log } = install({ "GET /me": () => ({}) });
  api.saveSession({ token: "t2", expires_in: 1800, user: { username: "110000000002" } });
  const s = wx.getStorageSync("ecert.session");
  assert.equal(s.token, "t2");
  assert.ok(s.expiresAt > Date.now() + 1700 * 1000 && s.expiresAt <= Date.now() + 1800 * 1000);
  wx.setStorageSync("ecert.session", { ...s, expiresAt: Date.now() - 1 });
  await assert.rejects(api.get("/me"), (e) => e.code === "SESSION_EXPIRED");
  assert.equal(callsTo(log, "GET /me").length, 0);
  assert.equal(wx.getStorageSync("ecert.session"), "");
  assert.equal(wx.__calls.navigate.at(-1).url, "/pages/login/login?reason=expired");
});

test("a 401 ends the session and returns to 登录", async () => {
  const { wx } = install({ "GET /me": () => ({ status: 401, body: { code: "UNAUTHORIZED", message: "请先登录" } }) });
  signIn(wx);
  await assert.rejects(api.get("/me"), (e) => e.code === "SESSION_EXPIRED" && e.status === 401);
  await tick(5);
  assert.equal(wx.getStorageSync("ecert.session"), "");
  assert.deepEqual(wx.__calls.navigate, [{ how: "reLaunch", url: "/pages/login/login?reason=expired" }]);
});

test("the API's error body {code, message} is given to the page as is", async () => {
  const { wx } = install({ "PATCH /me": () => ({ status: 409, body: { code: "VERSION_CONFLICT", message: "信息已被修改,请刷新", extra: 1 } }) });
  signIn(wx);
  await assert.rejects(api.patch("/me", { version: 1, changes: {} }), (e) =>
    e.code === "VERSION_CONFLICT" && e.message === "信息已被修改,请刷新" && e.status === 409 && e.body.extra === 1);
  assert.deepEqual(wx.__calls.navigate, []);
});

test("a failed download reads the JSON error body from the saved file", async () => {
  const { wx, log } = install({ "GET /me/certificate": () => ({ status: 409,
    body: { code: "INFO_INCOMPLETE", message: "请您先将基础信息中的必填信息补充完整", missing: [{ key: "mobile", label: "移动电话" }] } }) });
  signIn(wx);
  await assert.rejects(api.downloadFile("/me/certificate", { accept: "application/pdf" }), (e) =>
    e.code === "INFO_INCOMPLETE" && e.body.missing[0].label === "移动电话");
  assert.equal(log[0].kind, "download");
  assert.equal(log[0].header.Accept, "application/pdf");
  assert.equal(log[0].header.Authorization, "Bearer tok-1");
});

test("uploadFile sends the file as multipart field 'file' and reports progress", async () => {
  const { wx, log } = install({ "POST /me/photo/direct-uploads": () => ({ upload_id: "u1", status: "pending" }) });
  signIn(wx);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mp-")), "x.jpg");
  fs.writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff]));
  const seen = [];
  const res = await api.uploadFile("/me/photo/direct-uploads", file, { onProgress: (f) => seen.push(f) });
  assert.deepEqual(res, { upload_id: "u1", status: "pending" });
  assert.equal(log[0].kind, "upload");
  assert.equal(log[0].name, "file");
  assert.equal(log[0].file, file);
  assert.equal(seen.at(-1), 1);
});

test("a network failure says so in the API's shared words", async () => {
  const { wx, texts } = install({});
  global.wx.request = (o) => { o.fail({ errMsg: "request:fail" }); };
  const meta = require(path.join(ROOT, "utils", "meta.js"));
  meta.reset();
  wx.setStorageSync(meta.TEXTS_KEY, texts);
  await assert.rejects(api.get("/meta/fields", { auth: false }), (e) => e.code === "NETWORK_ERROR" && e.message === texts.network_error);
});

test("a gateway 403 without a code ends the session only when the token no longer stands", async () => {
  let sessionOk = true;
  const { wx, log } = install({
    "GET /members": () => ({ status: 403, body: { Message: "User is not authorized to access this resource" } }),
    "GET /auth/session": () => (sessionOk ? { user: {} } : { status: 403, body: { Message: "denied" } }),
  });
  signIn(wx);
  await assert.rejects(api.get("/members"), (e) => e.status === 403 && e.code === "HTTP_403");
  assert.equal(callsTo(log, "GET /auth/session").length, 1);
  assert.deepEqual(wx.__calls.navigate, []);
  sessionOk = false;
  await assert.rejects(api.get("/members"), (e) => e.code === "SESSION_EXPIRED");
  assert.equal(wx.getStorageSync("ecert.session"), "");
  assert.equal(wx.__calls.navigate.at(-1).url, "/pages/login/login?reason=expired");
});

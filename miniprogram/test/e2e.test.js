/**
 * End to end: the pages of the mini-program, with a `wx` that performs REAL HTTP, against the
 * local stack (moto over HTTP, the Chalice app, the S3 → SQS → photo-check pump with the real
 * dlib engine). Started by tests/e2e/test_miniprogram.py, which passes the API root in
 * ECERT_API_BASE and the captcha test code in ECERT_CAPTCHA_CODE; skipped when run alone.
 */
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const path = require("path");
const { renderPage, until, text, type, tap, textOf, has, config } = require("./helpers/sim.js");
const { createWx, httpTransport } = require("./helpers/wx.js");

const BASE = process.env.ECERT_API_BASE;
const CODE = process.env.ECERT_CAPTCHA_CODE;
const PHOTO = path.resolve(__dirname, "..", "..", "tests", "fixtures", "faces", "spec_white", "obama_01.jpg");
const NO_PHOTO = "110000000002"; // complete, no photo, an exam photo on file
const INCOMPLETE = "110000000004"; // information incomplete, photo on file
const PASSWORD = "Demo#2026";
const opts = { skip: !BASE && "needs the local stack (run tests/e2e/test_miniprogram.py)", timeout: 240000 };

if (BASE) config.apiBase = BASE; // the configuration, pointed at the local stack

/** The last answer of the API to `METHOD /path` (the shim logs every real response). */
function lastAnswer(wx, method, p) {
  const hits = wx.__transport.log.filter((e) => e.method === method && e.path === p && e.status);
  return hits[hits.length - 1];
}

async function login(wx, username, password, captcha) {
  const page = renderPage("login", wx);
  await page.instance.onLoad({});
  await type(page, "#username", username);
  await type(page, "#password", password);
  await type(page, "#captcha", captcha);
  await page.instance.submit();
  return page;
}

async function open(name, wx) {
  const page = renderPage(name, wx);
  await page.instance.onLoad({});
  if (page.instance.onShow) await page.instance.onShow();
  return page;
}

async function downloadCertificate(wx) {
  const cert = await open("cert", wx);
  assert.ok(cert.instance.data.photoPath, "the member's photo is shown for confirmation: " + text(cert));
  assert.ok(fs.readFileSync(cert.instance.data.photoPath).subarray(0, 2).equals(Buffer.from([0xff, 0xd8])));
  await cert.instance.download();
  assert.equal(cert.instance.data.resultKind, "success", text(cert));
  const [doc] = wx.__calls.opened;
  assert.ok(doc, "wx.openDocument was called");
  assert.equal(doc.fileType, "pdf");
  assert.equal(doc.showMenu, true);
  assert.equal(fs.readFileSync(doc.filePath).subarray(0, 5).toString("latin1"), "%PDF-");
  const dl = wx.__transport.log.find((e) => e.kind === "download" && e.path.endsWith("/me/certificate"));
  assert.equal(dl.header.Accept, "application/pdf");
  assert.match(dl.header.Authorization, /^Bearer /);
}

test("a wrong password and a wrong captcha show the API's messages", opts, async () => {
  const wx = createWx(httpTransport());
  const page = await login(wx, NO_PHOTO, "Wrong#2026x", CODE);
  const wrong = lastAnswer(wx, "POST", "/auth/login");
  assert.equal(wrong.status, 401);
  assert.equal(textOf(page, "#login-message"), wrong.body.message);
  assert.equal(wrong.body.message, "用户名或密码错误");

  await type(page, "#password", PASSWORD);
  await type(page, "#captcha", "ZZZZ");
  await page.instance.submit();
  const captcha = lastAnswer(wx, "POST", "/auth/login");
  assert.equal(captcha.body.code, "CAPTCHA_INVALID");
  assert.equal(textOf(page, "#captcha-error"), captcha.body.message);
  assert.deepEqual(wx.__calls.navigate, []);
  assert.equal(wx.getStorageSync("ecert.session"), "");
});

test("a member without a photo uploads one, sees 比对成功 and downloads the certificate", opts, async () => {
  const wx = createWx(httpTransport());
  await login(wx, NO_PHOTO, PASSWORD, CODE);
  assert.deepEqual(wx.__calls.navigate.at(-1), { how: "reLaunch", url: "/pages/home/home" });

  const home = await open("home", wx);
  assert.equal(home.instance.data.v.step, "upload_photo");
  assert.ok(text(home).includes("没有查询到照片信息"));

  const photo = await open("photo", wx);
  assert.equal(photo.instance.data.step, "consent", text(photo));
  assert.ok(textOf(photo, "#consent-text").length > 20, "the consent text comes from the API");
  await tap(photo, "#agree");
  await until(() => has(photo, "#consent-error"), { what: "the consent checkbox is required" });
  photo.querySelector("#consent-check").dispatchEvent("change", { detail: { value: ["yes"] } });
  await until(() => photo.instance.data.consentChecked);
  await photo.instance.agree();
  assert.equal(photo.instance.data.step, "choose");

  wx.__queueMedia(PHOTO);
  await photo.instance.choose();
  assert.equal(photo.instance.data.step, "candidate", text(photo));
  assert.equal(photo.instance.data.candidateOk, true, text(photo));
  assert.ok(fs.readFileSync(photo.instance.data.candidatePath).length >= 10 * 1024);

  await photo.instance.upload();
  assert.equal(photo.instance.data.step, "result", text(photo));
  assert.equal(textOf(photo, "#result-title"), "比对成功");
  const up = wx.__transport.log.find((e) => e.kind === "upload");
  assert.ok(up.path.endsWith("/me/photo/direct-uploads"));

  await downloadCertificate(wx);
});

test("an incomplete member completes the form and downloads", opts, async () => {
  const wx = createWx(httpTransport());
  await login(wx, INCOMPLETE, PASSWORD, CODE);
  const home = await open("home", wx);
  assert.equal(home.instance.data.v.step, "complete_info", text(home));
  assert.ok(text(home).includes("请您先将基础信息中的必填信息补充完整"));

  // the gate on the certificate page says the same before any download
  const gate = await open("cert", wx);
  await gate.instance.download();
  assert.ok(has(gate, "#gate-incomplete"), text(gate));

  const info = await open("info", wx);
  const missing = info.instance.data.missing;
  assert.ok(missing.length > 0);
  await info.instance.save();
  assert.ok(Object.keys(info.instance.data.errors).length > 0, "empty required fields are refused in place");
  const fieldsByKey = Object.fromEntries(info.instance.schema.map((f) => [f.key, f]));
  const sample = { date: "2000-01-01", mobile: "13800138000", email: "member@example.com", postal_code: "100000",
    phone: "010-12345678", qq: "12345" };
  for (const m of missing) {
    const f = fieldsByKey[m.key];
    const id = "#input-" + m.key;
    if (f.type === "select") {
      info.querySelector(id).dispatchEvent("change", { detail: { value: 0 } });
      await until(() => info.instance.data.values[m.key]);
    } else if (f.type === "date") {
      info.querySelector(id).dispatchEvent("change", { detail: { value: sample.date } });
      await until(() => info.instance.data.values[m.key]);
    } else {
      await type(info, id, sample[f.type] || "测试信息");
    }
  }
  await info.instance.save();
  assert.deepEqual(info.instance.data.errors, {});
  assert.equal(info.instance.data.message, "信息已保存", text(info));
  const patch = lastAnswer(wx, "PATCH", "/me");
  assert.equal(patch.status, 200);
  assert.equal(patch.body.completeness.complete, true);

  await downloadCertificate(wx);
});

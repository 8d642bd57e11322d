const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const { renderPage, textOf, has, text } = require("./helpers/sim.js");
const { fakeApi, callsTo, signIn, me } = require("./helpers/fakeapi.js");

const PDF = Buffer.from("%PDF-1.7\n% test\n");
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);

async function certPage(body, routes = {}) {
  const f = fakeApi({
    "GET /me": () => body,
    "GET /me/photo": () => ({ status: 200, body: JPEG, headers: { "content-type": "image/jpeg" } }),
    ...routes,
  });
  signIn(f.wx);
  const page = renderPage("cert", f.wx);
  await page.instance.onLoad({});
  return { page, ...f };
}

test("下载会员证: the details and photo to confirm, then the PDF opened with its menu", async () => {
  const { page, log, wx, texts } = await certPage(me({ photo: { status: "accepted", has_photo: true } }), {
    "GET /me/certificate": () => ({ status: 200, body: PDF, headers: { "content-type": "application/pdf" } }),
  });
  assert.ok(text(page).includes("会员批准文件号") && text(page).includes("京注协〔2010〕1号"));
  assert.ok(text(page).includes("北京注协"));
  assert.ok(fs.readFileSync(page.instance.data.photoPath).equals(JPEG));
  assert.equal(callsTo(log, "GET /me/photo")[0].header.Accept, "image/jpeg");
  assert.equal(textOf(page, "#download"), texts.confirm_and_download);
  await page.instance.download();
  const dl = callsTo(log, "GET /me/certificate")[0];
  assert.equal(dl.kind, "download");
  assert.equal(dl.header.Accept, "application/pdf");
  assert.equal(dl.header.Authorization, "Bearer tok-1");
  const [doc] = wx.__calls.opened;
  assert.equal(doc.showMenu, true);
  assert.equal(doc.fileType, "pdf");
  assert.ok(fs.readFileSync(doc.filePath).equals(PDF));
  assert.equal(textOf(page, "#cert-result"), texts.downloaded);
});

test("下载会员证: incomplete information is refused in the web page's words before any download", async () => {
  const { page, log, texts } = await certPage(me({ photo: { status: "accepted", has_photo: true },
    completeness: { complete: false, missing: [{ key: "mobile", label: "移动电话" }] } }));
  await page.instance.download();
  assert.ok(textOf(page, "#gate-incomplete").includes(texts.info_incomplete));
  assert.ok(textOf(page, "#gate-incomplete").includes("移动电话"));
  assert.equal(callsTo(log, "GET /me/certificate").length, 0);
  assert.ok(has(page, "#go-info"));
});

test("下载会员证: the server's gates are shown as given", async () => {
  const { page, texts } = await certPage(me({ photo: { status: "accepted", has_photo: true } }), {
    "GET /me/certificate": () => ({ status: 409, body: { code: "INFO_INCOMPLETE", message: "请您先将基础信息中的必填信息补充完整",
      missing: [{ key: "email", label: "电子邮箱" }] } }),
  });
  await page.instance.download();
  assert.ok(textOf(page, "#gate-incomplete").includes(texts.info_incomplete));
  assert.ok(textOf(page, "#gate-incomplete").includes(texts.missing_prefix + "电子邮箱"));

  const other = await certPage(me({ photo: { status: "accepted", has_photo: true } }), {
    "GET /me/certificate": () => ({ status: 409, body: { code: "PHOTO_MISSING", message: "没有查询到照片信息" } }),
  });
  await other.page.instance.download();
  assert.equal(textOf(other.page, "#cert-result"), "没有查询到照片信息");
  assert.ok(has(other.page, "#gate-photo"));
});

test("下载会员证: without a photo the page says 没有查询到照片信息 and offers 上传照片; a store failure says 获取照片信息失败", async () => {
  const { page, texts } = await certPage(me(), {
    "GET /me/photo": () => ({ status: 404, body: { code: "PHOTO_MISSING", message: "没有查询到照片信息" } }),
  });
  assert.ok(textOf(page, "#photo-problem").includes(texts.photo_missing));
  assert.ok(has(page, "#go-photo") && !has(page, "#download"));
  const broken = await certPage(me({ photo: { status: "accepted", has_photo: true } }), {
    "GET /me/photo": () => ({ status: 503, body: { code: "PHOTO_UNAVAILABLE", message: "照片存储暂不可用" } }),
  });
  assert.ok(textOf(broken.page, "#photo-problem").includes(texts.photo_unavailable));
});

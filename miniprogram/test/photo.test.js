const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { renderPage, tap, textOf, has, text, until, config } = require("./helpers/sim.js");
const { fakeApi, callsTo, signIn, me } = require("./helpers/fakeapi.js");

config.pollIntervalMs = 5;
const JPEG = fs.readFileSync(path.resolve(__dirname, "..", "..", "tests", "fixtures", "faces", "spec_white", "obama_01.jpg"));
const DATA_URL = "data:image/jpeg;base64," + JPEG.toString("base64");
const OK_CHECKS = [{ rule: "format", ok: true, message: "JPEG 格式" }, { rule: "background", ok: true, message: "背景为浅色" }];

function tempPhoto(bytes, name = "pick.jpg") {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mp-photo-")), name);
  fs.writeFileSync(file, bytes);
  return file;
}

async function photoPage(body, routes) {
  const f = fakeApi({ "GET /me": () => body, ...routes });
  signIn(f.wx);
  const page = renderPage("photo", f.wx);
  await page.instance.onLoad({});
  return { page, ...f };
}

test("上传照片 shows the spec and an example, and asks for the separate consent first", async () => {
  const { page, log, texts, wx, fields } = await photoPage(me({ photo: { consent: false } }), {
    "GET /me/photo/consent": () => ({ text_version: "v9", text: "人脸信息处理说明全文" }),
    "POST /me/photo/consent": () => ({ consent: true }),
  });
  for (const line of texts.photo_requirements) assert.ok(textOf(page, "#requirements").includes(line));
  assert.ok(has(page, "#sample-photo"));
  // the spec figures beside the example come from /meta's photo_spec, in the shared words
  const spec = fields.photo_spec;
  const kb = (n) => Math.round(n / 1024);
  assert.equal(textOf(page, "#example-width"), `宽 ${spec.width} 像素`);
  assert.equal(textOf(page, "#example-height"), `高 ${spec.height} 像素`);
  assert.equal(textOf(page, "#example-spec"), `白色背景 · 头肩部正面 · JPEG ${kb(spec.min_bytes)}–${kb(spec.max_bytes)} KB · 不低于 ${spec.min_dpi} dpi`);
  assert.ok(textOf(page, "#example-photo").includes(texts.example_caption));
  assert.ok(fs.existsSync(path.resolve(__dirname, "..", "images", "sample-photo.png")));
  assert.equal(textOf(page, "#consent-text"), "人脸信息处理说明全文");
  await tap(page, "#agree");
  assert.equal(textOf(page, "#consent-error"), texts.consent_required);
  assert.equal(callsTo(log, "POST /me/photo/consent").length, 0);
  page.querySelector("#consent-check").dispatchEvent("change", { detail: { value: ["yes"] } });
  await until(() => page.instance.data.consentChecked);
  await page.instance.agree();
  assert.deepEqual(callsTo(log, "POST /me/photo/consent")[0].data, { text_version: "v9" });
  assert.ok(has(page, "#choose"));
  assert.ok(text(page).includes("咨询电话"));
  assert.ok(wx);
});

test("上传照片: camera or album, the auto-fit preview, upload with progress, then 比对成功", async () => {
  let polls = 0;
  const { page, log, wx, texts } = await photoPage(me(), {
    "POST /me/photo/prepare": () => ({ image: DATA_URL, bytes: JPEG.length, report: { status: "accepted", checks: OK_CHECKS } }),
    "POST /me/photo/direct-uploads": () => ({ upload_id: "up1", status: "pending" }),
    "GET /me/photo/uploads/up1": () => (++polls < 3 ? { status: "pending", checks: [] }
      : { status: "accepted", message: "比对成功", checks: OK_CHECKS, attempts_left: 5 }),
  });
  assert.ok(text(page).includes(texts.attempts_prefix + "5 次。"), text(page));
  const picked = tempPhoto(JPEG, "IMG_0001.png");
  wx.__queueMedia(picked);
  await page.instance.choose();
  const opts = wx.__calls.chooseMedia[0];
  assert.deepEqual(opts.sourceType, ["camera", "album"]);
  assert.deepEqual(opts.mediaType, ["image"]);
  const prep = callsTo(log, "POST /me/photo/prepare")[0];
  assert.equal(prep.header["Content-Type"], "image/png");
  assert.ok(prep.data instanceof ArrayBuffer && prep.data.byteLength === JPEG.length);
  assert.ok(fs.readFileSync(page.instance.data.candidatePath).equals(JPEG), "the preview is the server's candidate");
  assert.equal(textOf(page, "#spec-ok"), texts.spec_ok);

  await page.instance.upload();
  const up = callsTo(log, "POST /me/photo/direct-uploads")[0];
  assert.equal(up.kind, "upload");
  assert.equal(up.name, "file");
  assert.equal(up.file, page.instance.data.candidatePath);
  assert.equal(polls, 3);
  assert.equal(textOf(page, "#result-title"), texts.match_success);
  assert.equal(textOf(page, "#result-text"), texts.match_success_detail);
  await tap(page, "#go-download");
  assert.deepEqual(wx.__calls.navigate, [{ how: "redirectTo", url: "/pages/cert/cert" }]);
});

test("上传照片: a candidate that fails the spec cannot be uploaded and says what to do", async () => {
  const checks = [{ rule: "background", ok: false, message: "背景不是白色或浅色" }, { rule: "format", ok: true, message: "JPEG 格式" }];
  const { page, log, wx, texts } = await photoPage(me(), {
    "POST /me/photo/prepare": () => ({ image: DATA_URL, report: { status: "rejected", checks } }),
  });
  wx.__queueMedia(tempPhoto(JPEG));
  await page.instance.choose();
  assert.ok(textOf(page, "#spec-failed").includes(texts.spec_failed_title));
  assert.ok(text(page).includes("背景不是白色或浅色"));
  assert.ok(text(page).includes(texts.photo_rule_help.background));
  assert.equal(page.instance.data.candidateOk, false);
  await page.instance.upload();
  assert.equal(callsTo(log, "POST /me/photo/direct-uploads").length, 0);
});

test("上传照片: a file that is not a photo says that one thing first, the other rules not checked and without advice", async () => {
  const checks = [
    { rule: "format", ok: false, state: "failed", message: "仅支持 JPEG、PNG 或 HEIC 格式的照片" },
    { rule: "background", ok: false, state: "not_checked", message: "未检查" },
  ];
  const { page, wx, texts } = await photoPage(me(), {
    "POST /me/photo/prepare": () => ({ report: { status: "rejected", message: "文件不是照片", checks } }),
  });
  wx.__queueMedia(tempPhoto(JPEG));
  await page.instance.choose();
  assert.equal(textOf(page, "#prepare-failed"), "文件不是照片");
  assert.ok(text(page).includes(texts.photo_rule_help.format));
  assert.ok(!text(page).includes(texts.photo_rule_help.background));
  assert.ok(text(page).includes("– 未检查"));
});

test("上传照片: a too large source is refused before any request", async () => {
  const { page, log, wx, texts } = await photoPage(me(), {});
  const big = tempPhoto(Buffer.alloc(8 * 1024 * 1024 + 1));
  wx.__queueMedia(big);
  await page.instance.choose();
  assert.equal(textOf(page, "#choose-error"), texts.source_too_large);
  assert.equal(callsTo(log, "POST /me/photo/prepare").length, 0);
});

test("上传照片: 比对失败 lists the failed checks with help and the attempts left", async () => {
  const { page, wx, texts } = await photoPage(me(), {
    "POST /me/photo/prepare": () => ({ image: DATA_URL, report: { status: "accepted", checks: OK_CHECKS } }),
    "POST /me/photo/direct-uploads": () => ({ upload_id: "up2", status: "pending" }),
    "GET /me/photo/uploads/up2": () => ({ status: "rejected", message: "比对失败", attempts_left: 3,
      checks: [...OK_CHECKS, { rule: "face_match", ok: false, message: "与档案照片不是同一人" }] }),
  });
  wx.__queueMedia(tempPhoto(JPEG));
  await page.instance.choose();
  await page.instance.upload();
  assert.equal(textOf(page, "#result-title"), texts.match_failed);
  assert.equal(textOf(page, "#result-text"), texts.failed_items);
  assert.ok(text(page).includes("与档案照片不是同一人"));
  assert.ok(text(page).includes(texts.photo_rule_help.face_match));
  assert.equal(textOf(page, "#attempts-left"), "您还可以上传 3 次。");
  assert.ok(has(page, "#choose-again"));
});

test("上传照片: after the last failed attempt the photo goes to 人工审核", async () => {
  const { page, wx, texts } = await photoPage(me(), {
    "POST /me/photo/prepare": () => ({ image: DATA_URL, report: { status: "accepted", checks: OK_CHECKS } }),
    "POST /me/photo/direct-uploads": () => ({ upload_id: "up3", status: "pending" }),
    "GET /me/photo/uploads/up3": () => ({ status: "review", message: "", attempts_left: 0, checks: OK_CHECKS }),
  });
  wx.__queueMedia(tempPhoto(JPEG));
  await page.instance.choose();
  await page.instance.upload();
  assert.equal(textOf(page, "#result-title"), texts.review_title);
  assert.equal(textOf(page, "#result-text"), texts.review_detail);
});

test("上传照片: an upload refused by the API shows its message and lets the member choose again", async () => {
  const { page, wx } = await photoPage(me(), {
    "POST /me/photo/prepare": () => ({ image: DATA_URL, report: { status: "accepted", checks: OK_CHECKS } }),
    "POST /me/photo/direct-uploads": () => ({ status: 422, body: { code: "PHOTO_SIZE", message: "照片文件大小不符合要求(应为 10–20 KB)" } }),
  });
  wx.__queueMedia(tempPhoto(JPEG));
  await page.instance.choose();
  await page.instance.upload();
  assert.equal(textOf(page, "#upload-notice"), "照片文件大小不符合要求(应为 10–20 KB)");
  assert.ok(has(page, "#choose"));
});

test("上传照片: a photo under review shows the waiting note and no chooser", async () => {
  const { page, texts } = await photoPage(me({ photo: { status: "review" } }), {});
  assert.ok(textOf(page, "#review").includes(texts.review_waiting));
  assert.ok(!has(page, "#choose"));
});

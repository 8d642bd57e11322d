const { test } = require("node:test");
const assert = require("node:assert/strict");
const { renderPage, type, pick, textOf, has, text } = require("./helpers/sim.js");
const { fakeApi, callsTo, signIn, me } = require("./helpers/fakeapi.js");

async function infoPage(body, routes = {}) {
  const f = fakeApi({ "GET /me": () => body, ...routes });
  signIn(f.wx);
  const page = renderPage("info", f.wx);
  await page.instance.onLoad({});
  return { page, ...f };
}

function incomplete(fields) {
  const employment = fields.fields.find((f) => f.key === "employment_status").options[0];
  return me({
    member: { mobile: "", email: "", address: "北京市东城区示例路1号", postal_code: "", employment_status: employment },
    completeness: { complete: false, missing: [{ key: "mobile", label: "移动电话" }, { key: "email", label: "电子邮箱" }] },
  });
}

test("完善信息: the schema's fields, locked ones with the note, pickers for options, the missing list", async () => {
  const { fields } = fakeApi();
  const { page, texts } = await infoPage(incomplete(fields));
  assert.ok(textOf(page, "#missing").includes(texts.info_incomplete));
  assert.ok(textOf(page, "#missing").includes("移动电话、电子邮箱"));
  // staff-only fields are shown, not editable, and say whom to ask
  assert.ok(has(page, "#value-name") && !has(page, "#input-name"));
  assert.ok(textOf(page, "#field-name").includes(texts.locked_note));
  assert.equal(textOf(page, "#value-name"), "李示例");
  // member-editable fields: text input, and a native picker with the schema's options
  assert.ok(has(page, "#input-mobile"));
  assert.equal(page.querySelector("#input-employment_status").dom.tagName.toLowerCase().includes("picker"), true);
  for (const f of fields.fields.filter((x) => x.required)) {
    assert.ok(textOf(page, "#field-" + f.key).includes("*"), f.key);
  }
});

test("完善信息: inline errors from the shared texts, then 保存并提交信息 sends only the changes", async () => {
  const { fields } = fakeApi();
  const body = incomplete(fields);
  const saved = me({ member: { ...body.member, mobile: "13800138000", email: "a@example.com" } });
  const { page, log, texts, wx } = await infoPage(body, { "PATCH /me": () => saved });
  assert.equal(textOf(page, "#save"), texts.save_and_submit);
  await page.instance.save();
  assert.equal(textOf(page, "#error-mobile"), "请填写移动电话");
  assert.equal(textOf(page, "#error-email"), "请填写电子邮箱");
  assert.equal(textOf(page, "#info-message"), texts.form_invalid);
  assert.equal(callsTo(log, "PATCH /me").length, 0);

  await type(page, "#input-mobile", "12345");
  await type(page, "#input-email", "a@example.com");
  await type(page, "#input-postal_code", "10000");
  await page.instance.save();
  assert.equal(textOf(page, "#error-mobile"), "移动电话应为11位手机号码(境外号码以+国家代码开头)");
  assert.equal(textOf(page, "#error-postal_code"), "邮政编码应为6位数字");
  assert.ok(!has(page, "#error-email"));

  await type(page, "#input-mobile", "13800138000");
  await type(page, "#input-postal_code", "");
  const options = fields.fields.find((f) => f.key === "employment_status").options;
  await pick(page, "#input-employment_status", 1);
  await page.instance.save();
  const [call] = callsTo(log, "PATCH /me");
  assert.deepEqual(call.data, { version: 3, changes: { mobile: "13800138000", email: "a@example.com", employment_status: options[1] } });
  assert.equal(page.instance.data.message, texts.info_saved);
  assert.deepEqual(wx.__calls.toast, [texts.info_saved]);
  assert.equal(wx.__calls.navigate.at(-1).how, "navigateBack");
});

test("完善信息: the API's field errors are placed next to the fields", async () => {
  const { fields } = fakeApi();
  const { page } = await infoPage(incomplete(fields), {
    "PATCH /me": () => ({ status: 422, body: { code: "VALIDATION_FAILED", message: "填写的信息有误,请按提示修改",
      errors: [{ key: "email", label: "电子邮箱", message: "电子邮箱已被其他会员使用" }] } }),
  });
  await type(page, "#input-mobile", "13800138000");
  await type(page, "#input-email", "a@example.com");
  await page.instance.save();
  assert.equal(textOf(page, "#error-email"), "电子邮箱已被其他会员使用");
  assert.equal(textOf(page, "#info-message"), "填写的信息有误,请按提示修改");
  assert.ok(text(page).includes("咨询电话"));
});

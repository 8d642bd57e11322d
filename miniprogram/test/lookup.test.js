const { test } = require("node:test");
const assert = require("node:assert/strict");
const { renderPage, type, pick, textOf, text } = require("./helpers/sim.js");
const { fakeApi, callsTo } = require("./helpers/fakeapi.js");

test("会员编号查询: ID types from /meta, the request, the answer", async () => {
  const { wx, log, fields, texts } = fakeApi({
    "POST /public/lookup": () => ({ member_no: "110000000002", association: "110000", association_name: "北京注协", activated: false }),
  });
  const page = renderPage("lookup", wx);
  await page.instance.onLoad({});
  const idTypes = fields.fields.find((f) => f.key === "id_type").options;
  assert.deepEqual(page.instance.data.idTypes, idTypes);
  await page.instance.submit();
  assert.equal(textOf(page, "#name-error"), texts.enter_name);
  assert.equal(textOf(page, "#id-number-error"), texts.enter_id_number);

  await type(page, "#name", "李示例");
  await pick(page, "#id-type", 5);
  await type(page, "#id-number", "e1234567");
  await type(page, "#captcha", "abcd");
  await page.instance.submit();
  assert.deepEqual(callsTo(log, "POST /public/lookup")[0].data,
    { name: "李示例", id_type: idTypes[5], id_number: "E1234567", captcha_id: "c1", captcha_code: "abcd" });
  assert.equal(textOf(page, "#found-no"), "110000000002");
  assert.ok(text(page).includes("北京注协"));
  assert.ok(text(page).includes(texts.lookup_not_activated));
});

test("会员编号查询: no match shows the API's message", async () => {
  const { wx } = fakeApi({
    "POST /public/lookup": () => ({ status: 404, body: { code: "LOOKUP_NOT_FOUND", message: "未查询到匹配的会员信息,请核对姓名、证件类型和证件号码" } }),
  });
  const page = renderPage("lookup", wx);
  await page.instance.onLoad({});
  await type(page, "#name", "某人");
  await type(page, "#id-number", "X1");
  await type(page, "#captcha", "abcd");
  await page.instance.submit();
  assert.equal(textOf(page, "#lookup-message"), "未查询到匹配的会员信息,请核对姓名、证件类型和证件号码");
});

/**
 * The answers of a scripted API for page tests. /meta/fields and /meta/messages are the REAL
 * ones, produced by the Python code (so the pages are tested with the texts the API serves);
 * everything else is routed to the test's own handlers.
 */
const path = require("path");
const fs = require("fs");
const { execFileSync } = require("child_process");
const { createWx, fakeTransport } = require("./wx.js");

const REPO = path.resolve(__dirname, "..", "..", "..");

let cachedMeta = null;
/** {fields: GET /meta/fields, messages: GET /meta/messages} from the API's own code. */
function realMeta() {
  if (cachedMeta) return cachedMeta;
  if (process.env.ECERT_META_JSON) {
    cachedMeta = JSON.parse(fs.readFileSync(process.env.ECERT_META_JSON, "utf8"));
    return cachedMeta;
  }
  const py = fs.existsSync(path.join(REPO, ".venv", "bin", "python")) ? path.join(REPO, ".venv", "bin", "python") : "python3";
  const out = execFileSync(py, ["-c",
    "import json; from chalicelib import client_text; from chalicelib.members import schema; "
    + "from chalicelib.photo.spec import SPEC; "
    + "print(json.dumps({'fields': {**schema.meta(), 'photo_spec': SPEC.public()}, "
    + "'messages': client_text.messages()}, ensure_ascii=False))"],
  { cwd: REPO, encoding: "utf8" });
  cachedMeta = JSON.parse(out);
  return cachedMeta;
}

/**
 * A wx whose API answers come from `routes`: {"GET /me": (req) => ({status, body}) | body}.
 * Returns {wx, log}; log lists every call (method, path, data, header, file).
 */
function fakeApi(routes = {}) {
  const m = realMeta();
  const table = Object.assign({
    "GET /meta/fields": () => ({ status: 200, body: m.fields }),
    "GET /meta/messages": () => ({ status: 200, body: m.messages }),
    "GET /auth/captcha": () => ({ status: 200, body: { captcha_id: "c1", image: "data:image/png;base64,iVBORw0KGgo=" } }),
  }, routes);
  const transport = fakeTransport(async (req) => {
    const fn = table[`${req.method} ${req.path.replace(/^\/api/, "")}`];
    if (!fn) return { status: 404, body: { code: "NOT_FOUND", message: "未找到" } };
    const res = await fn(req);
    return res && typeof res.status === "number" && "body" in res ? res : { status: 200, body: res };
  });
  return { wx: createWx(transport), log: transport.log, texts: m.messages.texts, fields: m.fields };
}

/** The calls to one route ("POST /auth/login"). */
function callsTo(log, route) {
  const [method, p] = route.split(" ");
  return log.filter((c) => c.method === method && c.path.replace(/^\/api/, "") === p);
}

module.exports = { fakeApi, callsTo, realMeta };

/** Put a valid session into the shim's storage, as a login would. */
function signIn(wx, user = {}) {
  wx.setStorageSync("ecert.session", { token: "tok-1", user: { role: "member", ...user }, expiresAt: Date.now() + 600000 });
}

/** A GET /me body; `over` replaces parts of it. */
function me(over = {}) {
  const base = {
    member: { name: "李示例", gender: "男", birth_date: "1980-01-01", member_no: "110000000002", association: "110000",
      association_name: "北京注协", approval_date: "2010-05-01", approval_doc_no: "京注协〔2010〕1号", status: "active",
      status_label: "正常", mobile: "13800138000", email: "", version: 3 },
    completeness: { complete: true, missing: [] },
    photo: { status: "none", has_photo: false, has_reference: true, failed_attempts: 0, attempts_left: 5, consent: true },
    editable_fields: ["mobile", "email", "address", "postal_code", "employment_status"],
    status: "active", status_reason: "",
  };
  return { ...base, ...over, member: { ...base.member, ...(over.member || {}) }, photo: { ...base.photo, ...(over.photo || {}) } };
}

module.exports.signIn = signIn;
module.exports.me = me;

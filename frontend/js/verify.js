/**
 * Public certificate verification (/verify/?no=<member_no>&c=<code>): calls
 * GET /public/verify/{no}?c=… and shows plainly valid / not valid with the masked data only.
 */
import { Api, ApiError, loadMeta, messageFor } from "./api.js";
import { matches } from "./rules.js";
import { $, alertBox, clear, h } from "./ui.js";

const api = new Api("public");

function row(label, value) {
  return h("div", { class: "kv-row" }, h("dt", {}, label), h("dd", {}, value || "—"));
}

async function main() {
  const slot = $("#verify-slot");
  const params = new URLSearchParams(window.location.search);
  const no = (params.get("no") || "").trim();
  const code = (params.get("c") || "").trim();
  let meta;
  try {
    meta = await loadMeta(api);
  } catch (err) {
    clear(slot, h("div", { class: "card" }, h("h1", {}, "暂时无法验证"), alertBox("error", null, messageFor(err)),
      h("button", { type: "button", class: "btn", onclick: () => window.location.reload() }, "重试")));
    return;
  }
  if (!matches(meta, "member_no", no) || !code) {
    clear(slot, verdict(false, "链接不完整或格式不正确,请重新扫描会员证上的二维码。"));
    return;
  }
  try {
    const res = await api.get(`/public/verify/${encodeURIComponent(no)}`, { query: { c: code }, auth: false });
    const valid = Boolean(res.valid);
    const known = Boolean(res.name_masked);
    const reason = valid ? "" : known && res.status !== "active"
      ? `该会员的会籍状态为「${res.status_label}」,会员证已失效。`
      : "未能验证该会员证:验证码不正确,或链接不完整。请重新扫描会员证上的二维码。";
    const facts = known ? h("dl", { class: "kv verify-facts" },
      row("姓名", res.name_masked),
      row("会员证书编号", res.member_no),
      row("所属协会", res.association),
      row("发证日期", res.issued_on),
      row("会籍状态", res.status_label)) : null;
    clear(slot, verdict(valid, reason, facts));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400 || err.status === 422)) {
      clear(slot, verdict(false, "未能验证该会员证,证书可能已被更换或链接有误。"));
    } else {
      clear(slot, h("div", { class: "card" }, h("h1", {}, "暂时无法验证"), alertBox("error", null, messageFor(err)),
        h("button", { type: "button", class: "btn", onclick: () => window.location.reload() }, "重试")));
    }
  }
}

function verdict(valid, reason, facts) {
  return h("section", { class: `card verdict ${valid ? "verdict-valid" : "verdict-invalid"}`, "aria-labelledby": "verdict-title" },
    h("div", { class: "verdict-mark", "aria-hidden": "true" }, valid ? "✓" : "✗"),
    h("h1", { id: "verdict-title", class: "verdict-title" }, valid ? "有效" : "无效"),
    h("p", { class: "verdict-sub" }, valid ? "该非执业会员证书真实有效" : reason),
    facts);
}

main();

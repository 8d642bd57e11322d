/**
 * Public membership application (/apply/): the member schema from /meta (without the
 * system-generated member number), the association to apply to, a captcha, then
 * POST /public/applications. Only what the application needs is required here; the other
 * fields the certificate needs may be filled now or completed after admission.
 */
import { Api, ApiError, loadMeta, messageFor } from "./api.js";
import { captchaField } from "./auth.js";
import { RecordForm } from "./forms.js";
import { parseResidentId } from "./rules.js";
import { $, alertBox, busy, clear, h, setMessage } from "./ui.js";
import { t } from "./texts.js";

const api = new Api("public");

const LATER_NOTE = "可稍后补充(领取电子证书前需填写)";
const EXCLUDED = new Set(["member_no"]);

/** The schema as the applicant sees it: `*` only on what applying needs, a note on the rest. */
function applicationMeta(meta) {
  const fields = meta.fields.filter((f) => !EXCLUDED.has(f.key)).map((f) => {
    const needed = meta.application_required.includes(f.key);
    if (needed || !f.required) return { ...f, required: needed };
    return { ...f, required: false, hint: f.hint ? `${f.hint};${LATER_NOTE}` : LATER_NOTE };
  });
  return { ...meta, fields };
}

function assocName(meta, code) {
  const a = meta.associations.find((x) => x.code === code);
  return a ? a.name : code;
}

function showSuccess(slot, meta, values, res) {
  const title = h("h2", { class: "apply-done-title", tabindex: "-1" }, "申请已提交");
  const panel = h("div", { class: "apply-done", id: "apply-done" },
    h("div", { class: "apply-done-mark", "aria-hidden": "true" }, "✓"),
    title,
    alertBox("success", null, "申请已提交,所属注协审核后将通过电子邮件通知您。"),
    h("dl", { class: "kv" },
      h("div", { class: "kv-row" }, h("dt", {}, "申请编号"), h("dd", { id: "apply-id" }, res.app_id)),
      h("div", { class: "kv-row" }, h("dt", {}, "审核单位"), h("dd", {}, assocName(meta, values.association))),
      h("div", { class: "kv-row" }, h("dt", {}, "通知邮箱"), h("dd", {}, values.email)),
      h("div", { class: "kv-row" }, h("dt", {}, "状态"), h("dd", {}, "等待审核"))),
    h("p", { class: "muted small" },
      "审核通过后,您将收到会员证书编号(即登录用户名)。初始密码不通过邮件发送,请向所属注协领取,"
      + "或在登录页通过“忘记密码”用本邮箱设置密码。请勿重复提交申请。"),
    h("div", { class: "actions apply-done-actions" },
      h("a", { class: "btn btn-primary", href: "/" }, "返回会员登录"),
      h("a", { class: "btn", href: "/lookup/" }, "查询会员证书编号")));
  for (const sel of [".apply-intro", ".apply-links"]) {
    const node = $(sel);
    if (node) node.hidden = true;
  }
  clear(slot, panel);
  title.focus();
  window.scrollTo(0, 0);
}

async function main() {
  const slot = $("#apply-slot");
  let meta;
  try {
    meta = applicationMeta(await loadMeta(api));
  } catch (err) {
    clear(slot, alertBox("error", "页面加载失败", h("p", {}, messageFor(err)),
      h("button", { type: "button", class: "btn", onclick: () => window.location.reload() }, "重新加载")));
    return;
  }

  const idTypeField = meta.fields.find((f) => f.key === "id_type");
  const residentId = meta.resident_id_type;
  const defaults = idTypeField && (idTypeField.options || []).includes(residentId) ? { id_type: residentId } : {};
  const record = new RecordForm(meta, { values: defaults, requireAll: true, idPrefix: "ap-" });
  const captcha = captchaField(api);
  const msg = h("div", { class: "form-message", hidden: true });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "apply-submit" }, "提交申请");
  const form = h("form", { class: "apply-form", novalidate: true, "aria-label": "入会申请" },
    msg, record.node,
    h("fieldset", { class: "group apply-captcha" }, h("legend", {}, "安全验证"), captcha.wrap,
      h("p", { class: "hint" }, "提交即表示您确认所填信息真实、准确,并同意所属注协为审核入会申请处理上述个人信息。")),
    h("div", { class: "actions apply-actions" }, submit));
  clear(slot, form);

  // A valid resident ID gives the birth date and gender: fill them in when still empty.
  const idNumber = record.control("id_number");
  idNumber.addEventListener("change", () => {
    if (record.control("id_type").value !== residentId) return;
    const parsed = parseResidentId(meta, idNumber.value.trim());
    if (!parsed) return;
    for (const [key, value] of [["birth_date", parsed.birth], ["gender", parsed.gender]]) {
      const c = record.control(key);
      if (c && !c.value) { c.value = value; record.validateOne(key); }
    }
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    let ok = record.validate();
    if (!captcha.code) {
      captcha.setError(t("enter_captcha"));
      if (ok) captcha.input.focus();
      ok = false;
    }
    if (!ok) {
      setMessage(msg, "error", t("form_invalid"));
      return;
    }
    const values = Object.fromEntries(Object.entries(record.formValues()).filter(([, v]) => v !== ""));
    await busy(submit, "正在提交…", async () => {
      try {
        const res = await api.post("/public/applications",
          { ...values, captcha_id: captcha.id, captcha_code: captcha.code }, { auth: false });
        showSuccess(slot, meta, values, res);
      } catch (err) {
        captcha.refresh();
        if (err instanceof ApiError && err.code === "CAPTCHA_INVALID") {
          captcha.setError(messageFor(err));
          captcha.input.focus();
        } else if (err instanceof ApiError && err.code === "VALIDATION_FAILED" && Array.isArray(err.body.errors)) {
          const orphans = record.showServerErrors(err.body.errors);
          setMessage(msg, "error", orphans.length ? orphans.map((o) => o.message).join(";") : t("form_invalid"));
        } else if (err instanceof ApiError && err.code === "DUPLICATE_ID_NUMBER") {
          record.setError("id_number", messageFor(err));
          clear(msg, alertBox("warning", null, messageFor(err), " ", h("a", { href: "/lookup/" }, "去查询会员证书编号")));
          msg.hidden = false;
          record.focus("id_number");
        } else if (err instanceof ApiError && err.code === "APPLICATION_PENDING") {
          setMessage(msg, "warning", messageFor(err));
          msg.scrollIntoView({ block: "center" });
        } else {
          setMessage(msg, "error", messageFor(err));
          msg.scrollIntoView({ block: "center" });
        }
      }
    });
  });
  captcha.refresh();
}

main();

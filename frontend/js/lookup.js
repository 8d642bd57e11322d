/** Public member-number lookup (/lookup/): name + ID type + ID number + captcha. */
import { Api, ApiError, loadMeta, messageFor } from "./api.js";
import { captchaField, textField } from "./auth.js";
import { $, alertBox, busy, clear, h, setMessage } from "./ui.js";
import { t } from "./texts.js";

const api = new Api("public");

async function main() {
  const slot = $("#lookup-slot");
  let meta;
  try {
    meta = await loadMeta(api);
  } catch (err) {
    clear(slot, alertBox("error", "页面加载失败", h("p", {}, messageFor(err)),
      h("button", { type: "button", class: "btn", onclick: () => window.location.reload() }, "重新加载")));
    return;
  }
  const idTypes = meta.fields.find((x) => x.key === "id_type").options;

  const form = h("form", { class: "stack", novalidate: true, "aria-label": "会员证书编号查询" });
  const msg = h("div", { class: "form-message", hidden: true });
  const name = textField("姓名", { autocomplete: "name", maxlength: "64", name: "name" });
  const idTypeId = "lk-id-type";
  const idType = h("select", { id: idTypeId, name: "id_type" }, idTypes.map((t) => h("option", { value: t }, t)));
  const idNumber = textField("证件号码", { autocomplete: "off", maxlength: "40", name: "id_number" });
  const captcha = captchaField(api);
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "查询");
  const result = h("div", { id: "lookup-result", "aria-live": "polite" });
  form.append(msg, name.wrap,
    h("div", { class: "field" }, h("label", { for: idTypeId }, "证件类型", h("span", { class: "req", "aria-hidden": "true" }, " *")), idType),
    idNumber.wrap, captcha.wrap, submit);
  clear(slot, form, result);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    clear(result);
    let ok = true;
    for (const [f, msg] of [[name, t("enter_name")], [idNumber, t("enter_id_number")], [captcha, t("enter_captcha")]]) {
      if (!f.input.value.trim()) { f.setError(msg); if (ok) f.input.focus(); ok = false; }
    }
    if (!ok) return;
    await busy(submit, "正在查询…", async () => {
      try {
        const res = await api.post("/public/lookup", {
          name: name.input.value.trim(), id_type: idType.value, id_number: idNumber.input.value.trim().toUpperCase(),
          captcha_id: captcha.id, captcha_code: captcha.code,
        }, { auth: false });
        clear(result, h("div", { class: "card lookup-result" },
          alertBox("success", "查询成功"),
          h("dl", { class: "kv" },
            h("div", { class: "kv-row" }, h("dt", {}, "会员证书编号"), h("dd", {}, h("span", { class: "big-no num", id: "found-no" }, res.member_no))),
            h("div", { class: "kv-row" }, h("dt", {}, "所属协会"), h("dd", {}, res.association_name || res.association)),
            h("div", { class: "kv-row" }, h("dt", {}, "账号状态"), h("dd", {}, res.activated ? t("lookup_activated") : t("lookup_not_activated")))),
          h("p", { class: "small" }, "会员证书编号即登录用户名。", res.activated
            ? "如忘记密码,请在登录页点击“忘记密码”,验证码将发送到所属注协登记的电子邮箱。"
            : "也可在登录页点击“忘记密码”,验证码将发送到所属注协登记的电子邮箱,凭验证码设置首次登录的密码。"),
          h("a", { class: "btn btn-block", href: "/" }, "去登录")));
        result.querySelector(".lookup-result").setAttribute("tabindex", "-1");
        result.querySelector(".lookup-result").focus();
      } catch (err) {
        if (err instanceof ApiError && err.code === "CAPTCHA_INVALID") { captcha.setError(messageFor(err)); captcha.input.focus(); }
        else if (err instanceof ApiError && err.body.field === "name") name.setError(messageFor(err));
        else if (err instanceof ApiError && err.body.field === "id_number") idNumber.setError(messageFor(err));
        else setMessage(msg, "error", messageFor(err));
      } finally {
        captcha.refresh();
      }
    });
  });
  captcha.refresh();
}

main();

/**
 * Completing the record: the member-editable fields (marked *), the others read-only with whom to
 * contact, 保存并提交信息.
 */
import { ApiError, messageFor } from "../api.js";
import { RecordForm } from "../forms.js";
import { $, alertBox, busy, clear, h, setMessage, showView } from "../ui.js";
import { renderCert } from "./home.js";
import { api, state } from "./state.js";
import { t } from "../texts.js";

export function showInfo(missingHint) {
  const me = state.me;
  const missing = (me.completeness && me.completeness.missing) || missingHint || [];
  const editable = new Set(me.editable_fields || state.meta.fields.filter((f) => f.member_editable).map((f) => f.key));
  const form = new RecordForm(state.meta, {
    values: me.member,
    canEdit: (f) => editable.has(f.key),
    lockedNote: t("locked_note"),
    requireAll: true,
    idPrefix: "me-",
  });
  form.markMissing(missing.map((x) => x.key));
  const msg = h("div", { class: "form-message", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "save-info" }, t("save_and_submit"));
  const el = h("form", { class: "card info-form", novalidate: true, "aria-label": "基础信息" });
  if (missing.length) {
    const staffOnly = missing.filter((x) => !editable.has(x.key));
    el.append(alertBox("warning", t("info_incomplete"),
      h("p", {}, t("missing_prefix")),
      h("ul", { class: "missing-list" }, missing.map((x) => h("li", {},
        editable.has(x.key)
          ? h("a", { href: `#me-${x.key}`, onclick: (e) => { e.preventDefault(); form.focus(x.key); } }, x.label)
          : h("span", {}, x.label, `(${t("locked_note")})`)))),
      staffOnly.length ? h("p", {}, t("locked_explained")) : null));
  } else {
    el.append(h("p", { class: "muted" }, "带 * 的为必填信息。灰色虚线框内的信息由所属注协维护。"));
  }
  el.append(msg, form.node, h("div", { class: "actions sticky-actions" }, save),
    h("button", { type: "button", class: "btn btn-block back-button", onclick: () => renderCert() }, "返回"));
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    if (!form.validate()) {
      setMessage(msg, "error", t("form_invalid"));
      return;
    }
    const changes = form.changes();
    if (!Object.keys(changes).length && !missing.length) { renderCert(); return; }
    await busy(save, "正在保存…", async () => {
      try {
        await api.patch("/me", { version: me.member.version, changes });
        state.me = await api.get("/me");
        state.notice = alertBox("success", null, state.me.completeness && !state.me.completeness.complete
          ? t("info_saved_incomplete") : t("info_saved"));
        await renderCert();
      } catch (err) {
        if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
        if (err instanceof ApiError && err.code === "VALIDATION_FAILED") {
          const orphans = form.showServerErrors(err.body.errors || []);
          setMessage(msg, "error", orphans.length ? orphans.map((o) => o.message).join(";") : messageFor(err));
          return;
        }
        if (err instanceof ApiError && err.code === "VERSION_CONFLICT") {
          clear(msg, alertBox("error", "您的信息已在其他地方被修改",
            h("p", {}, "请刷新后重新填写。"),
            h("button", { type: "button", class: "btn", onclick: async () => { state.me = await api.get("/me"); showInfo(); } }, "刷新")));
          msg.hidden = false;
          return;
        }
        if (err instanceof ApiError && err.code === "FIELD_NOT_EDITABLE") {
          setMessage(msg, "error", `${messageFor(err)}(${t("locked_note")})`);
          return;
        }
        setMessage(msg, "error", messageFor(err));
      }
    });
  });
  clear($("#info-slot"), el);
  showView("info");
  const first = missing.find((x) => editable.has(x.key));
  if (first) form.focus(first.key);
}

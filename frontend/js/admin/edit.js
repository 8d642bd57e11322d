/**
 * Changing a member: correcting the record (with version conflicts), membership status, the
 * initial password, and entering (录入) a new member.
 */
import { ApiError, messageFor } from "../api.js";
import { RecordForm } from "../forms.js";
import { parseResidentId } from "../rules.js";
import { $, alertBox, ask, busy, clear, h, modal, setMessage, showView, statusLabels } from "../ui.js";
import { detailOf, fetchDetail, renderDetail } from "./detail.js";
import { api, isExpired, pageHead, state, toast } from "./state.js";
import { t } from "../texts.js";

export function editForm(focusKey, unsaved) {
  const { record, missing } = state.detail;
  const form = new RecordForm(state.meta, {
    values: record, canEdit: (f) => f.key !== "member_no", idPrefix: "ed-", lockedNote: "系统生成,不可修改",
  });
  form.markMissing(missing.map((m) => m.key));
  const msg = h("div", { class: "form-message", id: "edit-message", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "edit-save" }, "保存");
  const cancel = h("button", { type: "button", class: "btn", onclick: () => renderDetail() }, "取消");
  const el = h("form", { class: "edit-form", novalidate: true, "aria-label": "基本信息修改" },
    h("h2", {}, "基本信息修改"), h("p", { class: "muted small" }, "带 * 的为下载会员证前必须填写的信息。"),
    msg, form.node, h("div", { class: "actions sticky-actions" }, save, cancel));

  if (unsaved && Object.keys(unsaved).length) msg.append(unsavedBox(form, unsaved));

  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(msg);
    if (!form.validate()) { msg.append(alertBox("error", null, t("form_invalid"))); return; }
    const changes = form.changes();
    if (!Object.keys(changes).length) { msg.append(alertBox("info", null, "没有需要保存的修改")); return; }
    await busy(save, "正在保存…", async () => {
      try {
        const res = await api.patch(`/members/${encodeURIComponent(state.detail.no)}`, { version: state.detail.version, changes });
        state.detail = { no: state.detail.no, ...detailOf(res) };
        renderDetail({ message: alertBox("success", null, t("info_saved")) });
      } catch (err) {
        if (isExpired(err)) return;
        if (err instanceof ApiError && err.code === "VERSION_CONFLICT") {
          msg.append(conflictBox(changes));
          msg.querySelector("button").focus();
          return;
        }
        if (err instanceof ApiError && err.code === "VALIDATION_FAILED") {
          const orphans = form.showServerErrors(err.body.errors || []);
          msg.append(alertBox("error", null, orphans.length ? orphans.map((o) => o.message).join(";") : messageFor(err)));
          return;
        }
        msg.append(alertBox("error", "保存失败", h("p", {}, messageFor(err))));
      }
    });
  });
  setTimeout(() => { if (focusKey) form.focus(focusKey); else { const first = el.querySelector("input:not([readonly]), select"); if (first) first.focus(); } }, 0);
  return el;
}

export function conflictBox(changes) {
  const reload = h("button", { type: "button", class: "btn btn-secondary", id: "conflict-reload" }, "刷新并查看我的修改");
  reload.addEventListener("click", () => busy(reload, "正在刷新…", async () => {
    try {
      const fresh = await fetchDetail(state.detail.no);
      state.detail = { no: state.detail.no, ...fresh };
      renderDetail({ edit: true, unsaved: changes });
    } catch (err) {
      if (!isExpired(err)) toast(alertBox("error", "刷新失败", h("p", {}, messageFor(err))));
    }
  }));
  return alertBox("error", "该会员信息已被他人修改,请刷新后重新修改",
    h("p", {}, "您的修改尚未保存。刷新后将显示最新信息,并列出您刚才填写的内容,可一键重新应用。"),
    h("ul", {}, Object.entries(changes).map(([k, v]) => h("li", {}, `${labelOf(k)}:${v || "(清空)"}`))),
    reload);
}

export function unsavedBox(form, unsaved) {
  const current = state.detail.record;
  const rows = Object.entries(unsaved).map(([k, v]) => h("tr", {},
    h("th", { scope: "row" }, labelOf(k)), h("td", {}, v || "(清空)"), h("td", {}, current[k] || "(空)")));
  const apply = h("button", { type: "button", class: "btn btn-secondary", id: "reapply" }, "重新应用我的修改");
  const box = alertBox("warning", "您未保存的修改",
    h("p", {}, "以下为刷新前您填写的内容,表单中已显示最新信息。确认后可重新应用,再点击“保存”。"),
    h("table", { class: "data-table compact" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "字段"), h("th", { scope: "col" }, "您的修改"), h("th", { scope: "col" }, "当前值"))), h("tbody", {}, rows)),
    apply);
  apply.addEventListener("click", () => {
    form.setValues(unsaved);
    apply.disabled = true;
    apply.textContent = "已重新应用,请核对后保存";
    form.focus(Object.keys(unsaved)[0]);
  });
  return box;
}

export function labelOf(key) {
  const f = state.meta.fields.find((x) => x.key === key);
  return f ? f.label : key;
}

// ---- membership status, initial password

export function statusDialog() {
  const { no, record: r, version } = state.detail;
  const current = r.status || "active";
  const { body, close } = modal(`会籍状态 · ${r.name || ""}(${no})`);
  const sel = h("select", { id: "st-status" }, Object.entries(statusLabels(state.meta, "member")).map(([v, t]) => h("option", { value: v, selected: v === current }, t)));
  const reason = h("textarea", { id: "st-reason", rows: "3", maxlength: "200", "aria-describedby": "st-reason-err" });
  const err = h("p", { class: "field-error", id: "st-reason-err", hidden: true });
  const msg = h("div", { class: "form-message", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn-primary" }, "保存");
  const form = h("form", { class: "stack", novalidate: true },
    h("p", { class: "muted small" }, "只有会籍状态为“正常”的会员可以下载会员证。变更会籍状态须填写原因,并记入操作记录。"),
    r.status_reason ? h("p", { class: "small" }, `当前原因:${r.status_reason}`) : null,
    h("div", { class: "field" }, h("label", { for: "st-status" }, "会籍状态"), sel),
    h("div", { class: "field" }, h("label", { for: "st-reason" }, "变更原因", h("span", { class: "req", "aria-hidden": "true" }, " *")), reason, err),
    msg, h("div", { class: "actions actions-end" }, save, h("button", { type: "button", class: "btn", onclick: close }, "取消")));
  body.append(form);
  sel.focus();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(msg);
    if (sel.value === current) { close(); return; }
    if (!reason.value.trim()) { err.textContent = "请填写变更原因"; err.hidden = false; reason.focus(); return; }
    await busy(save, "正在保存…", async () => {
      try {
        const res = await api.patch(`/members/${encodeURIComponent(no)}`, { version, status: sel.value, status_reason: reason.value.trim() });
        state.detail = { no, ...detailOf(res) };
        close();
        renderDetail({ message: alertBox("success", null, `会籍状态已改为“${statusLabels(state.meta, "member")[sel.value]}”`) });
      } catch (err2) {
        if (isExpired(err2)) { close(); return; }
        setMessage(msg, "error", messageFor(err2));
      }
    });
  });
}

export async function initialPassword(btn) {
  const { no, record: r } = state.detail;
  const ok = await ask("重置初始密码", { prompt: `为 ${r.name || no} 生成新的初始密码?原密码和已登录的会话将失效,会员下次登录时须修改密码。`, confirmLabel: "生成初始密码" });
  if (!ok) return;
  await busy(btn, "处理中…", async () => {
    try {
      const res = await api.post(`/members/${encodeURIComponent(no)}/initial-password`, {});
      showPasswordOnce("已生成初始密码", r.name, res.member_no || no, res.initial_password);
    } catch (err) {
      if (!isExpired(err)) toast(alertBox("error", "操作失败", h("p", {}, messageFor(err))));
    }
  });
}

/** The initial password, shown once, with a copy button. */
export function showPasswordOnce(title, name, memberNo, password, onClose) {
  const { body, close } = modal(title, { onClose });
  body.append(
    h("p", {}, `${name || "会员"}的会员证书编号(登录用户名):`, h("strong", { class: "mono" }, memberNo)),
    h("p", {}, "初始密码(仅显示这一次,请妥善告知会员本人,会员首次登录时须修改):"),
    h("p", {}, h("span", { class: "secret", id: "initial-password" }, password || "")),
    h("div", { class: "actions actions-end" },
      h("button", { type: "button", class: "btn", onclick: async (e) => {
        const b = e.currentTarget;
        try { await navigator.clipboard.writeText(password); b.textContent = "已复制"; } catch (x) { b.textContent = "复制失败,请手动选择"; }
      } }, "复制初始密码"),
      h("button", { type: "button", class: "btn btn-primary", onclick: close }, "我已记录,关闭")));
  return body;
}

// ---- 录入: enter a new member

/**
 * A mainland resident ID number carries the birth date and sex: fill them when empty, and
 * flag them (the form's identity check) when what was typed disagrees.
 */
export function deriveFromResidentId(form, msg) {
  const values = form.formValues();
  if (values.id_type !== state.meta.resident_id_type) return;
  const parsed = parseResidentId(state.meta, values.id_number);
  if (!parsed) return;
  const fill = {};
  if (!values.birth_date) fill.birth_date = parsed.birth;
  if (!values.gender) fill.gender = parsed.gender;
  if (Object.keys(fill).length) {
    form.setValues(fill);
    clear(msg, alertBox("info", null, `已根据身份证号码填写${Object.keys(fill).map(labelOf).join("和")},请核对。`));
  }
  form.validateOne("birth_date");
  form.validateOne("gender");
}

export function showCreate() {
  const view = $('[data-view="detail"]');
  const u = api.user || {};
  const form = new RecordForm(state.meta, {
    values: { association: u.association || "" },
    canEdit: (f) => f.key !== "member_no" && f.key !== "association",
    idPrefix: "new-", lockedNote: "",
  });
  const msg = h("div", { class: "form-message", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "create-save" }, "保存并生成会员证书编号");
  const el = h("form", { class: "card edit-form", novalidate: true, "aria-label": "录入会员" },
    h("p", { class: "muted small" }, "姓名、证件类型和证件号码为录入时必填;带 * 的信息为下载会员证前必须填写的信息,可稍后补充。会员证书编号由系统生成。"),
    msg, form.node, h("div", { class: "actions sticky-actions" }, save, h("a", { class: "btn", href: "#/members" }, "取消")));
  clear(view, h("p", { class: "crumbs" }, h("a", { href: "#/members" }, "‹ 返回会员列表")), ...pageHead("录入会员"), el);
  showView("detail");
  for (const key of ["id_type", "id_number"]) {
    const c = form.control(key);
    if (c) c.addEventListener("change", () => deriveFromResidentId(form, msg));
  }
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(msg);
    const values = form.formValues();
    let ok = form.validate();
    for (const key of ["name", "id_type", "id_number"]) {
      if (!values[key]) { form.setError(key, t("required_field", { label: labelOf(key) })); ok = false; }
    }
    if (!ok) { const bad = el.querySelector("[aria-invalid=true]"); if (bad) bad.focus(); msg.append(alertBox("error", null, t("form_invalid"))); return; }
    const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
    await busy(save, "正在保存…", async () => {
      try {
        const res = await api.post("/members", body);
        const name = values.name;
        showPasswordOnce("会员已录入", name, res.member_no, res.initial_password,
          () => { window.location.hash = `#/members/${encodeURIComponent(res.member_no)}`; });
      } catch (err) {
        if (isExpired(err)) return;
        if (err instanceof ApiError && Array.isArray(err.body.errors)) {
          const orphans = form.showServerErrors(err.body.errors);
          msg.append(alertBox("error", null, orphans.length ? orphans.map((o) => o.message).join(";") : messageFor(err)));
          return;
        }
        msg.append(alertBox("error", "保存失败", h("p", {}, messageFor(err))));
      }
    });
  });
}

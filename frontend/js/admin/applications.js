/**
 * Membership application review: the list by status, one application, approve or reject.
 */
import { ApiError, messageFor } from "../api.js";
import { recordView } from "../forms.js";
import { $, alertBox, ask, badge, busy, clear, formatTime, h, modal, progress, showView, statusLabels } from "../ui.js";
import { showPasswordOnce } from "./edit.js";
import { api, isExpired, pageHead, state, toast } from "./state.js";
import { t } from "../texts.js";

export let appFilter = "pending";

export async function showApplications() {
  const view = $('[data-view="applications"]');
  const filter = h("select", { id: "app-status", class: "select-small" },
    [...Object.entries(statusLabels(state.meta, "application")), ["", "全部"]].map(([v, t]) => h("option", { value: v, selected: v === appFilter }, t)));
  filter.addEventListener("change", () => { appFilter = filter.value; showApplications(); });
  const list = h("div", { class: "card table-wrap", "aria-live": "polite" }, progress("正在加载申请…").node);
  const more = h("div", { class: "pager" });
  clear(view, ...pageHead("申请审核", h("label", { for: "app-status", class: "inline-label" }, "状态"), filter,
    h("button", { type: "button", class: "btn btn-small", onclick: showApplications }, "刷新")), list, more);
  showView("applications");
  const tbody = h("tbody", {});
  let first = true;
  const load = async (cursor) => {
    let res;
    try {
      res = await api.get("/applications", { query: { status: appFilter, cursor, limit: 50 } });
    } catch (err) {
      if (!isExpired(err)) clear(list, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
      return;
    }
    const items = res.items || [];
    if (first) {
      first = false;
      if (!items.length) { clear(list, h("div", { class: "empty" }, appFilter === "pending" ? "暂无待审核的入会申请" : "暂无申请")); return; }
      clear(list, h("table", { class: "data-table card-table applications-table" }, h("caption", { class: "sr-only" }, "入会申请"),
        h("thead", {}, h("tr", {}, ["申请时间", "姓名", "性别", "证件类型", "证件号码", "移动电话", "状态", "操作"].map((t) => h("th", { scope: "col" }, t)))), tbody));
    }
    for (const a of items) tbody.append(applicationRow(a));
    clear(more, res.next_cursor ? h("button", { type: "button", class: "btn btn-small", onclick: () => load(res.next_cursor) }, "加载更多") : null);
  };
  await load(undefined);
}

export function applicationRow(a) {
  const id = a.app_id || a.application_id || a.id;
  const pending = !a.status || a.status === "pending";
  return h("tr", {},
    h("td", { class: "nowrap", "data-label": "申请时间" }, formatTime(a.created_at)),
    h("td", { class: "col-name", "data-label": "姓名" }, a.name || ""),
    h("td", { "data-label": "性别" }, a.gender || ""),
    h("td", { "data-label": "证件类型" }, a.id_type || ""),
    h("td", { "data-label": "证件号码" }, h("span", { class: "mono num" }, a.id_number || "")),
    h("td", { "data-label": "移动电话" }, h("span", { class: "mono num" }, a.mobile || "")),
    h("td", { "data-label": "状态" }, h("span", { class: `badge ${a.status === "approved" ? "badge-ok" : a.status === "rejected" ? "badge-bad" : "badge-info"}` },
      statusLabels(state.meta, "application")[a.status]), a.member_no ? " " : null, a.member_no ? h("span", { class: "mono num small" }, a.member_no) : null),
    h("td", { class: "row-actions col-action" },
      h("button", { type: "button", class: "btn btn-small", onclick: () => applicationDetail(id) }, "查看"),
      pending ? h("button", { type: "button", class: "btn btn-small btn-secondary", onclick: (e) => approve(id, a, e.currentTarget) }, "通过") : null,
      pending ? h("button", { type: "button", class: "btn btn-small btn-danger", onclick: () => reject(id, a) }, "驳回") : null));
}

export async function applicationDetail(id) {
  const { body, close } = modal("入会申请详情", { wide: true });
  body.append(progress("正在加载…").node);
  try {
    const a = await api.get(`/applications/${encodeURIComponent(id)}`);
    const values = { ...(a.fields || {}), association: a.association, association_name: a.association_name };
    clear(body,
      h("p", {}, h("strong", {}, a.name || ""), " · ", statusLabels(state.meta, "application")[a.status], " · 申请时间 ", formatTime(a.created_at)),
      a.duplicate ? alertBox("warning", "该证件号码已登记为会员", h("p", {}, "请核实是否重复申请。")) : null,
      a.duplicate_applications ? alertBox("warning", "该证件号码还有其他待审核的申请",
        h("p", {}, `另有 ${a.duplicate_applications} 份相同证件号码的申请待审核,请核实后只通过一份。`)) : null,
      a.reason ? alertBox("info", "驳回原因", h("p", {}, a.reason)) : null,
      (a.missing || []).length ? alertBox("warning", "申请信息不完整", h("p", {}, t("missing_prefix"), a.missing.map((m) => m.label).join("、"))) : null,
      recordView(state.meta, values, { missing: a.missing || [] }),
      a.status === "pending" ? h("div", { class: "actions actions-end" },
        h("button", { type: "button", class: "btn btn-secondary", onclick: (e) => { close(); approve(id, a, e.currentTarget); } }, "通过"),
        h("button", { type: "button", class: "btn btn-danger", onclick: () => { close(); reject(id, a); } }, "驳回")) : null);
  } catch (err) {
    clear(body, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
  }
}

export async function approve(id, p, btn) {
  const ok = await ask("通过入会申请", { prompt: `确认通过 ${p.name || ""} 的入会申请?系统将生成会员证书编号和初始密码。`, confirmLabel: "确认通过" });
  if (!ok) return;
  await busy(btn, "处理中…", async () => {
    try {
      const res = await api.post(`/applications/${encodeURIComponent(id)}/approve`, {});
      const body = showPasswordOnce("申请已通过", p.name, res.member_no, res.initial_password, showApplications);
      if (res.mail_sent) body.insertBefore(h("p", { class: "muted small" }, "已向申请人发送通知邮件(邮件中不含密码)。"), body.lastChild);
    } catch (err) {
      if (isExpired(err)) return;
      const errs = err instanceof ApiError && Array.isArray(err.body.errors) ? err.body.errors : [];
      toast(alertBox("error", "操作失败", h("p", {}, messageFor(err)),
        errs.length ? h("ul", {}, errs.map((e) => h("li", {}, `${e.label || e.key}:${e.message}`))) : null));
    }
  });
}

export async function reject(id, p) {
  const reason = await ask("驳回入会申请", { prompt: `驳回 ${p.name || ""} 的入会申请。驳回原因将通过邮件告知申请人。`, reasonLabel: "驳回原因", confirmLabel: "确认驳回", danger: true });
  if (!reason) return;
  try {
    await api.post(`/applications/${encodeURIComponent(id)}/reject`, { reason });
    state.flash = alertBox("success", null, "已驳回该申请");
    showApplications();
  } catch (err) {
    if (!isExpired(err)) toast(alertBox("error", "操作失败", h("p", {}, messageFor(err))));
  }
}

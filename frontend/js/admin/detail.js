/**
 * One member: the record by group, badges, both photos, the audit history and the certificate
 * download (with the missing fields when the record is incomplete).
 */
import { ApiError, messageFor } from "../api.js";
import { recordView } from "../forms.js";
import { authImage } from "../photo.js";
import {
  $, alertBox, busy, clear, completeBadge, formatTime, h, photoBadge, progress, saveBlob, showView, statusBadge,
} from "../ui.js";
import { editForm, initialPassword, statusDialog } from "./edit.js";
import { photoDialog } from "./photo-dialog.js";
import { api, assocName, isExpired, state } from "./state.js";
import { t } from "../texts.js";

/** GET and PATCH /members/{no} answer the full record, with `version` and `missing`. */
export function detailOf(record) {
  return { record, version: record.version, missing: record.missing };
}

export async function fetchDetail(no) {
  return detailOf(await api.get(`/members/${encodeURIComponent(no)}`));
}

export async function showDetail(no, { message, edit = false, focusKey } = {}) {
  const view = $('[data-view="detail"]');
  clear(view, progress("正在加载会员信息…").node);
  showView("detail");
  try {
    const d = await fetchDetail(no);
    state.detail = { no, ...d };
  } catch (err) {
    if (isExpired(err)) return;
    clear(view, h("p", {}, h("a", { href: "#/members" }, "‹ 返回会员列表")),
      alertBox("error", err.status === 404 ? "未找到该会员" : "加载失败", h("p", {}, messageFor(err))));
    return;
  }
  renderDetail({ message, edit, focusKey });
}

export function renderDetail({ message, edit = false, focusKey, unsaved } = {}) {
  const view = $('[data-view="detail"]');
  const { no, record: r, missing } = state.detail;
  const { complete, photo_status: photoStatus, status } = r;
  const notice = h("div", { id: "detail-notice", "aria-live": "polite" });
  if (message) notice.append(message);
  const actions = h("div", { class: "actions detail-actions" },
    h("button", { type: "button", class: "btn btn-secondary", id: "btn-edit", onclick: () => renderDetail({ edit: true }) }, "基本信息修改"),
    h("button", { type: "button", class: "btn", id: "btn-photo", onclick: () => photoDialog() }, "上传照片"),
    certButton(r, missing, photoStatus, status),
    h("span", { class: "actions-spacer" }),
    h("button", { type: "button", class: "btn btn-small", id: "btn-status", onclick: () => statusDialog() }, "会籍状态"),
    h("button", { type: "button", class: "btn btn-small", id: "btn-password", onclick: (e) => initialPassword(e.currentTarget) }, "重置初始密码"));
  const head = h("div", { class: "detail-head card" },
    h("p", { class: "crumbs" }, h("a", { href: "#/members" }, "‹ 返回会员列表")),
    h("div", { class: "detail-title" },
      h("h1", {}, r.name || "(未填写姓名)", h("span", { class: "mono num detail-no" }, no)),
      h("div", { class: "badges" }, statusBadge(state.meta, status), photoBadge(state.meta, photoStatus), completeBadge(complete))),
    status !== "active" && r.status_reason ? h("p", { class: "status-reason" },
      `会籍${r.status_label}原因:${r.status_reason}`, r.status_changed_at ? `(${formatTime(r.status_changed_at)})` : "") : null,
    actions);

  const photos = h("aside", { class: "card photo-panel", "aria-label": "照片" }, h("h2", {}, "照片"),
    h("div", { class: "photo-pair" }, photoSlot("current", "会员证照片", photoStatus), photoSlot("reference", "全科合格照片")));

  const main = h("div", { class: "card record-panel" });
  const tabs = h("div", { class: "tabs", role: "tablist" });
  const tabInfo = h("button", { type: "button", role: "tab", id: "tab-info", "aria-selected": "true", "aria-controls": "panel-info" }, "基本信息");
  const tabHist = h("button", { type: "button", role: "tab", id: "tab-history", "aria-selected": "false", "aria-controls": "panel-history" }, "操作记录");
  tabs.append(tabInfo, tabHist);
  const panelInfo = h("div", { role: "tabpanel", id: "panel-info", "aria-labelledby": "tab-info" });
  const panelHist = h("div", { role: "tabpanel", id: "panel-history", "aria-labelledby": "tab-history", hidden: true });
  const select = (which) => {
    const info = which === "info";
    tabInfo.setAttribute("aria-selected", String(info)); tabHist.setAttribute("aria-selected", String(!info));
    panelInfo.hidden = !info; panelHist.hidden = info;
    if (!info && !panelHist.dataset.loaded) loadHistory(panelHist);
  };
  tabInfo.addEventListener("click", () => select("info"));
  tabHist.addEventListener("click", () => select("history"));
  tabs.addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") { const t = e.target === tabInfo ? tabHist : tabInfo; t.focus(); t.click(); }
  });
  main.append(tabs, panelInfo, panelHist);

  if (edit) panelInfo.append(editForm(focusKey, unsaved));
  else {
    if (missing.length) {
      panelInfo.append(alertBox("warning", "必填信息不完整", h("p", {}, t("missing_prefix"), missing.map((m) => m.label).join("、")),
        h("button", { type: "button", class: "btn btn-small", onclick: () => renderDetail({ edit: true, focusKey: missing[0].key }) }, "去补充")));
    }
    panelInfo.append(recordView(state.meta, { ...r, association_name: r.association_name || assocName(r.association) }, { missing }));
  }

  clear(view, head, notice, h("div", { class: "detail-grid" }, main, photos));
  if (!edit) view.querySelector("h1").focus();
}

export function photoSlot(kind, caption, photoStatus) {
  const fig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, caption));
  const { no } = state.detail;
  const r = state.detail.record;
  const hasCurrent = r.has_photo === undefined ? photoStatus === "accepted" : r.has_photo && photoStatus === "accepted";
  if ((kind === "current" && !hasCurrent) || (kind === "reference" && r.has_reference === false)) {
    fig.firstChild.replaceWith(h("div", { class: "photo-empty" }, kind === "current" ? t("photo_missing") : "无全科合格照片"));
    return fig;
  }
  authImage(api, state.meta.photo_spec, `/members/${encodeURIComponent(no)}/photo`, caption, { kind }).then(({ img, ok, error }) => {
    if (ok) fig.firstChild.replaceWith(img);
    else {
      const text = error && (error.code === "PHOTO_UNAVAILABLE" || error.status === 503) ? t("photo_unavailable")
        : kind === "current" ? t("photo_missing") : "无全科合格照片";
      fig.firstChild.replaceWith(h("div", { class: "photo-empty" }, text));
    }
  });
  return fig;
}

export async function loadHistory(panel) {
  panel.dataset.loaded = "1";
  clear(panel, progress("正在加载操作记录…").node);
  try {
    const res = await api.get(`/members/${encodeURIComponent(state.detail.no)}/history`);
    const items = res.items || [];
    if (!items.length) { clear(panel, h("div", { class: "empty" }, "暂无操作记录")); return; }
    const ACTIONS = { create: "创建", update: "信息修改", photo: "照片", consent: "授权", import: "导入", approve: "审核通过", status: "会籍状态", certificate: "会员证", password: "密码" };
    const ROLES = { member: "会员", association_staff: "注协职员", national_staff: "中注协职员", system: "系统", staff: "职员" };
    clear(panel, h("table", { class: "data-table card-table history-table" },
      h("caption", { class: "sr-only" }, "操作记录"),
      h("thead", {}, h("tr", {}, ["时间", "操作人", "操作", "内容"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, items.map((it) => h("tr", {},
        h("td", { class: "nowrap", "data-label": "时间" }, formatTime(it.at)),
        h("td", { class: "nowrap", "data-label": "操作人" }, String(it.actor || "").replace(/^(staff|member):/, ""), it.actor_role ? h("span", { class: "muted small" }, `(${ROLES[it.actor_role] || it.actor_role})`) : null),
        h("td", { class: "nowrap", "data-label": "操作" }, ACTIONS[it.action] || it.action || ""),
        h("td", { "data-label": "内容" }, historyDetail(it)))))));
  } catch (err) {
    panel.dataset.loaded = "";
    if (!isExpired(err)) clear(panel, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
  }
}

export function historyDetail(it) {
  const parts = [];
  if (Array.isArray(it.changes) && it.changes.length) {
    parts.push(h("ul", { class: "changes" }, it.changes.map((c) => h("li", {},
      h("strong", {}, c.label || c.field), ":", h("span", { class: "old" }, c.old || "(空)"), " → ", h("span", { class: "new" }, c.new || "(空)")))));
  }
  if (it.detail && typeof it.detail === "object") {
    const d = it.detail;
    const text = [d.event, d.note, d.what, d.reason ? `原因:${d.reason}` : ""].filter(Boolean).join(";");
    if (text) parts.push(h("p", { class: "small" }, text));
  } else if (it.detail) parts.push(h("p", { class: "small" }, String(it.detail)));
  return parts.length ? parts : "—";
}


// ---- certificate

/**
 * 下载会员证 is the primary action only when the server will issue it; otherwise it is shown as
 * a plain (secondary) button with the reason beside it, so staff are not offered two equally
 * prominent red buttons of which one will be refused.
 */
export function certButton(r, missing, photoStatus, status) {
  let reason = "";
  if (status !== "active") reason = `会籍状态为“${r.status_label || status}”,不能下载`;
  else if (missing && missing.length) reason = `必填信息未填写完整(${missing.length} 项),暂不能下载`;
  else if (photoStatus !== "accepted") reason = "尚无会员证照片,暂不能下载";
  const btn = h("button", { type: "button", class: reason ? "btn" : "btn btn-primary", id: "btn-cert",
    onclick: (e) => downloadCertificate(e.currentTarget) }, "下载会员证");
  if (!reason) return btn;
  btn.setAttribute("aria-describedby", "cert-blocked");
  return h("span", { class: "cert-action" }, btn, h("span", { class: "small cert-blocked", id: "cert-blocked" }, reason));
}

export function incompleteNotice(notice, missing) {
  const go = h("button", { type: "button", class: "btn btn-secondary", id: "go-missing" }, "补充必填信息");
  go.addEventListener("click", () => renderDetail({ edit: true, focusKey: missing[0] && missing[0].key }));
  clear(notice, alertBox("warning", "请将会员必填信息补充完整,再进行下载",
    h("p", {}, t("missing_prefix")), h("ul", { class: "missing-inline" }, missing.map((m) => h("li", {},
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); renderDetail({ edit: true, focusKey: m.key }); } }, m.label)))), go));
  go.focus();
}

export async function downloadCertificate(btn) {
  const notice = $("#detail-notice");
  if (state.detail.missing.length) {
    // refused before asking the server, in the words the legacy system used
    incompleteNotice(notice, state.detail.missing);
    return;
  }
  clear(notice, progress("正在生成会员证…").node);
  try {
    const file = await busy(btn, "正在生成…", () => api.get(`/members/${encodeURIComponent(state.detail.no)}/certificate`,
      { accept: "application/pdf", filename: `会员证_${state.detail.no}.pdf` }));
    clear(notice, alertBox("success", t("downloaded"), h("p", {}, `文件名:${file.filename}`), saveBlob(file.blob, file.filename)));
  } catch (err) {
    clear(notice);
    if (isExpired(err)) return;
    if (err instanceof ApiError && err.code === "INFO_INCOMPLETE") {
      state.detail.missing = err.body.missing || state.detail.missing;
      incompleteNotice(notice, state.detail.missing);
      return;
    }
    if (err instanceof ApiError && (err.code === "PHOTO_MISSING" || err.code === "PHOTO_UNAVAILABLE")) {
      const up = h("button", { type: "button", class: "btn btn-secondary", onclick: () => photoDialog() }, "上传照片");
      notice.append(alertBox("warning", messageFor(err), h("p", {}, "下载会员证前,请先上传或确认会员照片。"), up));
      up.focus();
      return;
    }
    notice.append(alertBox("error", "下载失败", h("p", {}, messageFor(err))));
  }
}

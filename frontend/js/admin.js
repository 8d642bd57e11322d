/**
 * The staff admin page (/admin/): member list (landing view), member detail and correction,
 * photo dialog, certificate download, application review, photo review queue, import/export,
 * bulk certificates, audit history. Desktop first; hash routes (#/members, #/members/<no>, …).
 */
import { Api, ApiError, loadMeta, messageFor } from "./api.js";
import { changePasswordForm, forgotForm, loginForm } from "./auth.js";
import { RecordForm, recordView } from "./forms.js";
import {
  ACCEPT, MAX_SOURCE_BYTES, authImage, checkReport, mimeOf, pollUpload, postPresigned, scoreText,
} from "./photo.js";
import {
  $, $$, MEMBER_STATUS, PHOTO_STATUS, alertBox, ask, busy, clear, completeBadge, dataUrlToBlob, formatTime, h,
  filePicker, modal, photoBadge, progress, saveBlob, setMessage, showView, statusBadge,
} from "./ui.js";

const api = new Api("staff");
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PAGE_SIZES = [20, 50, 100];
const SAMPLE_PHOTO = "/img/sample-photo.svg";

const state = {
  meta: null,
  list: { filters: { q: "", photo_status: "", complete: "", status: "" }, limit: 50, cursors: [null], page: 0, selected: new Set() },
  detail: null, // {no, record, version, missing, raw}
};

api.onSessionExpired = () => showLogin("登录已失效,请重新登录");

// ---------------------------------------------------------------------------------------------
// session

function showLogin(message, kind = "warning") {
  $("#header-user").hidden = true;
  $("#side-nav").hidden = true;
  document.body.classList.remove("signed-in");
  const form = loginForm(api, {
    userTypes: ["staff"],
    onSuccess: ({ token, user }) => {
      api.saveSession(token, user);
      if (user && user.role === "member") {
        api.clearSession();
        setMessage($("#login-message"), "error", "会员请使用会员登录页面");
        return;
      }
      if (user && user.must_change_password) showChangePassword(true);
      else start();
    },
    onForgot: () => {
      const f = forgotForm(api, { userType: "staff", onDone: (m) => showLogin(m, "success"), onCancel: () => showLogin() });
      clear($("#forgot-slot"), f.node);
      showView("forgot");
      f.focus();
    },
  });
  clear($("#login-slot"), form.node);
  setMessage($("#login-message"), kind, message || "");
  showView("login");
}

function showChangePassword(forced) {
  $("#side-nav").hidden = forced;
  const f = changePasswordForm(api, {
    forced,
    onDone: (res) => {
      if (res && res.token) api.saveSession(res.token, { ...(api.user || {}), ...(res.user || {}), must_change_password: false });
      start("密码已修改");
    },
    onCancel: forced ? logout : () => route(),
  });
  clear($("#change-slot"), f.node);
  showView("change");
  f.focus();
}

async function logout() {
  try { if (api.token) await api.post("/auth/logout"); } catch (e) { /* dropped anyway */ }
  api.clearSession();
  window.location.hash = "";
  showLogin("您已安全退出", "info");
}

let flash = null;
async function start(message) {
  flash = message ? alertBox("success", null, message) : null;
  const u = api.user || {};
  $("#header-name").textContent = `${u.display_name || u.username || ""}${u.association_name ? " · " + u.association_name : ""}`;
  $("#header-user").hidden = false;
  $("#side-nav").hidden = false;
  document.body.classList.add("signed-in");
  try {
    state.meta = await loadMeta(api);
  } catch (e) {
    clear($('[data-view="members"]'), alertBox("error", "加载失败", h("p", {}, messageFor(e))));
    showView("members");
    return;
  }
  if (!window.location.hash || window.location.hash === "#") window.location.hash = "#/members";
  else route();
}

// ---------------------------------------------------------------------------------------------
// routing

function route() {
  if (!api.token) { showLogin(); return; }
  if (!state.meta) { start(); return; }
  const parts = window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [section, arg] = parts;
  for (const a of $$("[data-nav]")) {
    const on = a.dataset.nav === (section || "members");
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  if (section === "members" && arg === "new") return showCreate();
  if (section === "members" && arg) return showDetail(decodeURIComponent(arg));
  if (section === "applications") return showApplications();
  if (section === "reviews") return showReviews();
  if (section === "data") return showData();
  if (section === "password") return showChangePassword(false);
  return showMembers();
}

function pageHead(title, ...extra) {
  const head = h("div", { class: "page-head" }, h("h1", {}, title), h("div", { class: "page-head-extra" }, ...extra));
  const box = h("div", {});
  if (flash) { box.append(flash); flash = null; }
  return [head, box];
}

function isExpired(err) { return err instanceof ApiError && err.code === "SESSION_EXPIRED"; }

// ---------------------------------------------------------------------------------------------
// member list

function listQuery(cursor) {
  const f = state.list.filters;
  return { limit: state.list.limit, cursor: cursor || undefined, q: f.q, photo_status: f.photo_status, complete: f.complete, status: f.status };
}

async function showMembers() {
  const view = $('[data-view="members"]');
  const L = state.list;
  const q = h("input", { type: "search", id: "flt-q", value: L.filters.q, placeholder: "姓名 / 会员证书编号 / 证件号码", maxlength: "64" });
  const sel = (id, label, value, opts) => h("div", { class: "field" }, h("label", { for: id }, label),
    h("select", { id }, opts.map(([v, t]) => h("option", { value: v, selected: v === value }, t))));
  const filters = h("form", { class: "filters card", role: "search", "aria-label": "筛选会员" },
    h("div", { class: "field field-wide" }, h("label", { for: "flt-q" }, "关键字"), q),
    sel("flt-photo", "照片状态", L.filters.photo_status, [["", "全部"], ...Object.entries(PHOTO_STATUS)]),
    sel("flt-complete", "信息完整性", L.filters.complete, [["", "全部"], ["true", "完整"], ["false", "不完整"]]),
    sel("flt-status", "会籍状态", L.filters.status, [["", "全部"], ...Object.entries(MEMBER_STATUS)]),
    h("div", { class: "filter-actions" },
      h("button", { type: "submit", class: "btn btn-secondary" }, "查询"),
      h("button", { type: "button", class: "btn", id: "flt-reset" }, "重置")));
  const table = h("div", { class: "table-wrap", "aria-live": "polite" });
  const pager = h("div", { class: "pager" });
  const bulk = h("div", { class: "bulk-bar" });
  clear(view, ...pageHead("会员列表",
    h("a", { class: "btn btn-secondary", href: "#/members/new", id: "create-btn" }, "录入会员"),
    h("button", { type: "button", class: "btn", id: "export-btn", onclick: (e) => exportMembers(e.currentTarget) }, "导出 Excel")),
  filters, bulk, table, pager);
  showView("members");

  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    L.filters = { q: q.value.trim(), photo_status: $("#flt-photo").value, complete: $("#flt-complete").value, status: $("#flt-status").value };
    L.cursors = [null]; L.page = 0; L.selected.clear();
    loadPage(table, pager, bulk);
  });
  $("#flt-reset").addEventListener("click", () => {
    L.filters = { q: "", photo_status: "", complete: "", status: "" };
    L.cursors = [null]; L.page = 0; L.selected.clear();
    showMembers();
  });
  await loadPage(table, pager, bulk);
}

async function loadPage(table, pager, bulk) {
  const L = state.list;
  clear(table, progress("正在加载会员列表…").node);
  let res;
  if (L.page === 0 || L.count === undefined) {
    // the count is a separate, slower query: it fills in when it arrives
    const filters = { ...L.filters };
    L.count = undefined;
    api.get("/members/count", { query: { ...listQuery(null), limit: undefined } }).then((c) => {
      if (JSON.stringify(filters) !== JSON.stringify(L.filters)) return;
      L.count = c.count;
      const slot = $("#member-count");
      if (slot) slot.textContent = `共 ${c.count} 条 · `;
    }).catch(() => { /* the list works without the count */ });
  }
  try {
    res = await api.get("/members", { query: listQuery(L.cursors[L.page]) });
  } catch (err) {
    if (isExpired(err)) return;
    clear(table, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
    clear(pager);
    return;
  }
  const items = res.items || [];
  L.cursors[L.page + 1] = res.next_cursor || null;
  renderBulk(bulk);

  if (!items.length) {
    clear(table, h("div", { class: "empty" }, L.page === 0 ? "没有符合条件的会员" : "没有更多会员了"));
  } else {
    const allBox = h("input", { type: "checkbox", id: "sel-all", "aria-label": "选择本页全部会员" });
    const tbody = h("tbody", {});
    for (const m of items) {
      const box = h("input", { type: "checkbox", "aria-label": `选择 ${m.name || m.member_no}`, checked: L.selected.has(m.member_no) });
      box.addEventListener("change", () => { if (box.checked) L.selected.add(m.member_no); else L.selected.delete(m.member_no); renderBulk(bulk); });
      const link = h("a", { href: `#/members/${encodeURIComponent(m.member_no)}`, class: "member-link" }, m.name || "(未填写姓名)");
      tbody.append(h("tr", {},
        h("td", { class: "col-check" }, box),
        h("td", { class: "mono col-no", "data-label": "会员证书编号" }, m.member_no),
        h("td", { class: "col-name", "data-label": "姓名" }, link),
        h("td", { class: "col-gender", "data-label": "性别" }, m.gender || ""),
        h("td", { class: "mono col-id", "data-label": "证件号码" }, m.id_number || ""),
        h("td", { class: "col-assoc", "data-label": "所属协会" }, m.association_name || assocName(m.association)),
        h("td", { class: "col-badge", "data-label": "照片" }, photoBadge(m.photo_status)),
        h("td", { class: "col-badge", "data-label": "信息" }, completeBadge(m.complete)),
        h("td", { class: "col-badge", "data-label": "会籍" }, statusBadge(m.status)),
        h("td", { class: "nowrap muted col-time", "data-label": "更新时间" }, formatTime(m.updated_at)),
        h("td", { class: "col-action" }, h("a", { class: "btn btn-small", href: `#/members/${encodeURIComponent(m.member_no)}`, "aria-label": `查看 ${m.name || m.member_no}` }, "查看"))));
    }
    allBox.addEventListener("change", () => {
      for (const [i, m] of items.entries()) {
        const b = tbody.rows[i].querySelector("input");
        b.checked = allBox.checked;
        if (allBox.checked) L.selected.add(m.member_no); else L.selected.delete(m.member_no);
      }
      renderBulk(bulk);
    });
    clear(table, h("table", { class: "data-table members-table" },
      h("caption", { class: "sr-only" }, "会员列表"),
      h("thead", {}, h("tr", {},
        h("th", { class: "col-check", scope: "col" }, allBox),
        ["会员证书编号", "姓名", "性别", "证件号码", "所属协会", "照片", "信息", "会籍", "更新时间", "操作"].map((t) => h("th", { scope: "col" }, t)))),
      tbody));
  }

  const prev = h("button", { type: "button", class: "btn btn-small", disabled: L.page === 0 }, "‹ 上一页");
  const next = h("button", { type: "button", class: "btn btn-small", disabled: !res.next_cursor }, "下一页 ›");
  const size = h("select", { id: "page-size", class: "select-small" }, PAGE_SIZES.map((n) => h("option", { value: String(n), selected: n === L.limit }, `${n} 条/页`)));
  prev.addEventListener("click", () => { L.page -= 1; loadPage(table, pager, bulk); });
  next.addEventListener("click", () => { L.page += 1; loadPage(table, pager, bulk); });
  size.addEventListener("change", () => { L.limit = Number(size.value); L.cursors = [null]; L.page = 0; loadPage(table, pager, bulk); });
  clear(pager,
    h("span", { class: "muted" }, h("span", { id: "member-count" }, L.count !== undefined ? `共 ${L.count} 条 · ` : ""),
      `第 ${L.page + 1} 页 · 本页 ${items.length} 条`, res.partial ? "(本页未取满,可继续下一页)" : ""),
    h("span", { class: "pager-buttons" }, prev, next),
    h("label", { class: "sr-only", for: "page-size" }, "每页条数"), size);
}

function renderBulk(bulk) {
  const n = state.list.selected.size;
  const btn = h("button", { type: "button", class: "btn btn-small btn-secondary", disabled: !n, id: "bulk-cert" }, `批量下载所选会员证(${n})`);
  btn.addEventListener("click", () => bulkCertificates({ member_nos: Array.from(state.list.selected) }, bulk, ` ${n} 名会员的会员证`));
  const all = h("button", { type: "button", class: "btn btn-small", id: "bulk-filter" }, "按筛选条件批量下载");
  all.addEventListener("click", () => {
    const f = state.list.filters;
    const filter = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== ""));
    bulkCertificates({ filter, only_complete: true }, bulk, "符合筛选条件且信息完整的会员的会员证");
  });
  clear(bulk, h("span", { class: "muted" }, n ? `已选择 ${n} 名会员` : "勾选会员后可批量下载会员证(ZIP)"), btn, all,
    n ? h("button", { type: "button", class: "link-button", onclick: () => { state.list.selected.clear(); for (const b of $$(".members-table tbody input")) b.checked = false; renderBulk(bulk); } }, "清除选择") : null);
}

function assocName(code) {
  const a = state.meta && state.meta.associations.find((x) => x.code === code);
  return a ? a.name : code || "";
}

async function exportMembers(btn) {
  const f = state.list.filters;
  await busy(btn, "正在导出…", async () => {
    try {
      const file = await api.get("/members/export", { accept: XLSX, filename: "会员信息导出.xlsx",
        query: { q: f.q, photo_status: f.photo_status, complete: f.complete, status: f.status } });
      const link = saveBlob(file.blob, file.filename);
      toast(alertBox("success", "导出完成", link));
    } catch (err) {
      if (!isExpired(err)) toast(alertBox("error", "导出失败", h("p", {}, messageFor(err))));
    }
  });
}

/** A message at the top of the current view (replaces the previous one). */
function toast(node) {
  let slot = $("#toast");
  if (!slot) {
    slot = h("div", { id: "toast", class: "toast", "aria-live": "polite" });
    document.body.append(slot);
  }
  const close = h("button", { type: "button", class: "dialog-close", "aria-label": "关闭提示", onclick: () => clear(slot) }, "×");
  clear(slot, h("div", { class: "toast-inner" }, node, close));
}

// ---------------------------------------------------------------------------------------------
// bulk certificates

const BULK_ROUTE = "/members/certificates/bulk";

/**
 * Certificates of many members as one ZIP, as a job the page advances step by step (each step
 * issues a few certificates and reports done/total), so large selections show real progress and
 * no request runs into the gateway's time limit. The last step returns a short-lived link to the
 * ZIP, whose report.csv lists the members that could not get a certificate.
 * selection: {member_nos: [...]} or {filter: {...}, only_complete: true}.
 */
async function bulkCertificates(selection, bulk, label) {
  const { body, close } = modal("批量下载会员证", { onClose: () => { cancelled = true; } });
  let cancelled = false;
  const p = progress(`正在准备${label}…`);
  const started = Date.now();
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  const cancel = h("button", { type: "button", class: "btn", onclick: close }, "取消");
  clear(body, p.node, h("p", { class: "muted small" }, "生成期间请勿关闭此窗口。"), h("div", { class: "actions actions-end" }, cancel));
  const done = (...nodes) => clear(body, ...nodes,
    h("div", { class: "actions actions-end" }, h("button", { type: "button", class: "btn", onclick: close }, "关闭")));
  try {
    let job = await api.post(BULK_ROUTE, selection);
    const path = `${BULK_ROUTE}/${encodeURIComponent(job.job_id)}`;
    while (!job.finished && !cancelled) {
      p.set(job.total ? job.done / job.total : 0, `正在生成会员证:${job.done} / ${job.total}(已用时 ${elapsed()} 秒)`);
      job = await api.post(`${path}/next`, {});
    }
    if (cancelled) return;
    p.set(1, "已完成");
    const ok = job.total - (job.failed || 0);
    done(alertBox(job.failed ? "warning" : "success", "会员证已生成",
      h("p", {}, `共 ${job.total} 名会员:成功 ${ok} 份`, job.failed ? `,${job.failed} 名未能生成(原因见压缩包内的 report.csv)` : "", "。"),
      h("p", {}, h("a", { class: "btn btn-primary", href: job.url, download: job.filename || "", id: "bulk-zip" }, "下载 ZIP 压缩包")),
      h("p", { class: "muted small" }, "下载链接 10 分钟内有效。")));
    $("#bulk-zip").focus();
  } catch (err) {
    if (isExpired(err)) { close(); return; }
    if (!cancelled) done(alertBox("error", "批量下载失败", h("p", {}, messageFor(err))));
  } finally {
    if (bulk) renderBulk(bulk);
  }
}


// ---------------------------------------------------------------------------------------------
// member detail

function normalizeDetail(res) {
  const record = res.member || res.record || res;
  const version = res.version ?? record.version;
  const missing = res.missing || (res.completeness && res.completeness.missing) || record.missing || [];
  return { record, version, missing, raw: res };
}

async function fetchDetail(no) {
  return normalizeDetail(await api.get(`/members/${encodeURIComponent(no)}`));
}

async function showDetail(no, { message, edit = false, focusKey } = {}) {
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

function renderDetail({ message, edit = false, focusKey, unsaved } = {}) {
  const view = $('[data-view="detail"]');
  const { no, record: r, missing, raw } = state.detail;
  const complete = raw.complete ?? r.complete ?? !missing.length;
  const photoStatus = raw.photo_status || r.photo_status || (raw.photo && raw.photo.status) || "none";
  const status = raw.status || r.status || "active";
  const notice = h("div", { id: "detail-notice", "aria-live": "polite" });
  if (message) notice.append(message);
  const actions = h("div", { class: "actions detail-actions" },
    h("button", { type: "button", class: "btn btn-secondary", id: "btn-edit", onclick: () => renderDetail({ edit: true }) }, "基本信息修改"),
    h("button", { type: "button", class: "btn", id: "btn-photo", onclick: () => photoDialog() }, "上传照片"),
    h("button", { type: "button", class: "btn btn-primary", id: "btn-cert", onclick: (e) => downloadCertificate(e.currentTarget) }, "下载会员证"),
    h("span", { class: "actions-spacer" }),
    h("button", { type: "button", class: "btn btn-small", id: "btn-status", onclick: () => statusDialog() }, "会籍状态"),
    h("button", { type: "button", class: "btn btn-small", id: "btn-password", onclick: (e) => initialPassword(e.currentTarget) }, "重置初始密码"));
  const head = h("div", { class: "detail-head card" },
    h("p", { class: "crumbs" }, h("a", { href: "#/members" }, "‹ 返回会员列表")),
    h("div", { class: "detail-title" },
      h("h1", {}, r.name || "(未填写姓名)", h("span", { class: "mono detail-no" }, no)),
      h("div", { class: "badges" }, statusBadge(status), photoBadge(photoStatus), completeBadge(complete))),
    status !== "active" && r.status_reason ? h("p", { class: "status-reason" },
      `会籍${MEMBER_STATUS[status] || status}原因:${r.status_reason}`, r.status_changed_at ? `(${formatTime(r.status_changed_at)})` : "") : null,
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
      panelInfo.append(alertBox("warning", "必填信息不完整", h("p", {}, "尚未填写:", missing.map((m) => m.label).join("、")),
        h("button", { type: "button", class: "btn btn-small", onclick: () => renderDetail({ edit: true, focusKey: missing[0].key }) }, "去补充")));
    }
    panelInfo.append(recordView(state.meta, { ...r, association_name: r.association_name || assocName(r.association) }, { missing }));
  }

  clear(view, head, notice, h("div", { class: "detail-grid" }, main, photos));
  if (!edit) view.querySelector("h1").focus();
}

function photoSlot(kind, caption, photoStatus) {
  const fig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, caption));
  const { no } = state.detail;
  const r = state.detail.record;
  const hasCurrent = r.has_photo === undefined ? photoStatus === "accepted" : r.has_photo && photoStatus === "accepted";
  if ((kind === "current" && !hasCurrent) || (kind === "reference" && r.has_reference === false)) {
    fig.firstChild.replaceWith(h("div", { class: "photo-empty" }, kind === "current" ? "没有查询到照片信息" : "无全科合格照片"));
    return fig;
  }
  authImage(api, `/members/${encodeURIComponent(no)}/photo`, caption, { kind }).then(({ img, ok, error }) => {
    if (ok) fig.firstChild.replaceWith(img);
    else {
      const text = error && (error.code === "PHOTO_UNAVAILABLE" || error.status === 503) ? "获取照片信息失败"
        : kind === "current" ? "没有查询到照片信息" : "无全科合格照片";
      fig.firstChild.replaceWith(h("div", { class: "photo-empty" }, text));
    }
  });
  return fig;
}

async function loadHistory(panel) {
  panel.dataset.loaded = "1";
  clear(panel, progress("正在加载操作记录…").node);
  try {
    const res = await api.get(`/members/${encodeURIComponent(state.detail.no)}/history`);
    const items = res.items || [];
    if (!items.length) { clear(panel, h("div", { class: "empty" }, "暂无操作记录")); return; }
    const ACTIONS = { create: "创建", update: "信息修改", photo: "照片", consent: "授权", import: "导入", approve: "审核通过", status: "会籍状态", certificate: "会员证", password: "密码" };
    const ROLES = { member: "会员", association_staff: "注协职员", national_staff: "中注协职员", system: "系统", staff: "职员" };
    clear(panel, h("table", { class: "data-table history-table" },
      h("caption", { class: "sr-only" }, "操作记录"),
      h("thead", {}, h("tr", {}, ["时间", "操作人", "操作", "内容"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, items.map((it) => h("tr", {},
        h("td", { class: "nowrap" }, formatTime(it.at)),
        h("td", { class: "nowrap" }, String(it.actor || "").replace(/^(staff|member):/, ""), it.actor_role ? h("span", { class: "muted small" }, `(${ROLES[it.actor_role] || it.actor_role})`) : null),
        h("td", { class: "nowrap" }, ACTIONS[it.action] || it.action || ""),
        h("td", {}, historyDetail(it)))))));
  } catch (err) {
    panel.dataset.loaded = "";
    if (!isExpired(err)) clear(panel, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
  }
}

function historyDetail(it) {
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

// ---- editing

function editForm(focusKey, unsaved) {
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
    if (!form.validate()) { msg.append(alertBox("error", null, "填写的信息有误,请按提示修改")); return; }
    const changes = form.changes();
    if (!Object.keys(changes).length) { msg.append(alertBox("info", null, "没有需要保存的修改")); return; }
    await busy(save, "正在保存…", async () => {
      try {
        const res = await api.patch(`/members/${encodeURIComponent(state.detail.no)}`, { version: state.detail.version, changes });
        const fresh = res && (res.member || res.version !== undefined) ? normalizeDetail(res) : await fetchDetail(state.detail.no);
        state.detail = { no: state.detail.no, ...fresh };
        renderDetail({ message: alertBox("success", null, "信息已保存") });
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

function conflictBox(changes) {
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

function unsavedBox(form, unsaved) {
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

function labelOf(key) {
  const f = state.meta.fields.find((x) => x.key === key);
  return f ? f.label : key;
}

// ---- membership status, initial password

function statusDialog() {
  const { no, record: r, version } = state.detail;
  const current = r.status || "active";
  const { body, close } = modal(`会籍状态 · ${r.name || ""}(${no})`);
  const sel = h("select", { id: "st-status" }, Object.entries(MEMBER_STATUS).map(([v, t]) => h("option", { value: v, selected: v === current }, t)));
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
        state.detail = { no, ...normalizeDetail(res) };
        close();
        renderDetail({ message: alertBox("success", null, `会籍状态已改为“${MEMBER_STATUS[sel.value]}”`) });
      } catch (err2) {
        if (isExpired(err2)) { close(); return; }
        setMessage(msg, "error", messageFor(err2));
      }
    });
  });
}

async function initialPassword(btn) {
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
function showPasswordOnce(title, name, memberNo, password, onClose) {
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

function showCreate() {
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
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(msg);
    const values = form.formValues();
    let ok = form.validate();
    for (const key of ["name", "id_type", "id_number"]) {
      if (!values[key]) { form.setError(key, `请填写${labelOf(key)}`); ok = false; }
    }
    if (!ok) { const bad = el.querySelector("[aria-invalid=true]"); if (bad) bad.focus(); msg.append(alertBox("error", null, "填写的信息有误,请按提示修改")); return; }
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

// ---- certificate

function incompleteNotice(notice, missing) {
  const go = h("button", { type: "button", class: "btn btn-secondary", id: "go-missing" }, "补充必填信息");
  go.addEventListener("click", () => renderDetail({ edit: true, focusKey: missing[0] && missing[0].key }));
  clear(notice, alertBox("warning", "请将会员必填信息补充完整,再进行下载",
    h("p", {}, "尚未填写:"), h("ul", { class: "missing-inline" }, missing.map((m) => h("li", {},
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); renderDetail({ edit: true, focusKey: m.key }); } }, m.label)))), go));
  go.focus();
}

async function downloadCertificate(btn) {
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
    clear(notice, alertBox("success", "会员证已下载", h("p", {}, `文件名:${file.filename}`), saveBlob(file.blob, file.filename)));
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

// ---- photo dialog

function photoDialog() {
  const { no, record } = state.detail;
  let changed = false;
  const { body, close } = modal(`上传照片 · ${record.name || ""}(${no})`, {
    wide: true,
    onClose: () => { if (changed) showDetail(no, { message: alertBox("success", null, "会员证照片已更新") }); },
  });
  const refFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, "全科合格照片"));
  const candFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, "请选择照片"), h("figcaption", {}, "待上传照片"));
  const input = h("input", { type: "file", id: "dlg-photo-file", accept: ACCEPT, class: "file-input" });
  const useRef = h("button", { type: "button", class: "btn", id: "use-reference", disabled: true }, "使用全科合格照片");
  const report = h("div", { class: "dialog-report", "aria-live": "polite" });
  const confirm = h("button", { type: "button", class: "btn btn-primary", id: "dlg-confirm", disabled: true }, "确认上传");
  const msg = h("div", { class: "form-message", "aria-live": "polite" });
  clear(body,
    h("div", { class: "photo-compare" }, refFig, candFig,
      h("div", { class: "photo-steps" },
        h("p", { class: "muted small" }, "照片要求:白色背景一寸免冠正面证件照,JPEG,10–20 KB,178 × 220 像素,不低于 96 dpi。可选择任意照片,系统将自动裁剪压缩为符合规格的候选照片。"),
        h("div", { class: "file-picker" }, h("label", { for: "dlg-photo-file", class: "btn btn-secondary" }, "选择照片文件"), input),
        report)),
    msg,
    h("div", { class: "actions actions-end" }, useRef, confirm, h("button", { type: "button", class: "btn", onclick: close }, "关闭")));

  const showSample = () => {
    refFig.firstChild.replaceWith(h("img", { src: SAMPLE_PHOTO, alt: "示例照片", class: "photo", width: "178", height: "220" }));
    refFig.querySelector("figcaption").textContent = "示例照片(无全科合格照片)";
  };
  if (record.has_reference === false) showSample();
  else {
    authImage(api, `/members/${encodeURIComponent(no)}/photo`, "全科合格照片", { kind: "reference" }).then(({ img, ok }) => {
      if (ok) { refFig.firstChild.replaceWith(img); useRef.disabled = false; } else showSample();
    });
  }

  let candidate = null; // data URL of the fitted photo
  let upload = null; // {upload_id, result}

  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    clear(msg); confirm.disabled = true; upload = null; candidate = null;
    if (file.size > MAX_SOURCE_BYTES) { setMessage(msg, "error", "照片文件过大,请选择不超过 8 MB 的照片"); return; }
    const p = progress("正在自动处理照片…");
    clear(report, p.node);
    try {
      const res = await api.request("POST", `/members/${encodeURIComponent(no)}/photo/prepare`, { body: file, contentType: mimeOf(file) });
      const checks = (res.report && res.report.checks) || [];
      if (!res.image) {
        clear(report, alertBox("error", "未能生成候选照片", checkReport(checks)));
        return;
      }
      candidate = res.image;
      candFig.firstChild.replaceWith(h("img", { src: candidate, alt: "待上传照片", class: "photo", width: "178", height: "220", id: "dlg-candidate" }));
      const ok = checks.every((c) => c.ok);
      clear(report, h("h3", {}, "规格检查"), checkReport(checks),
        ok ? null : alertBox("warning", null, "照片不符合规格,请更换照片。"));
      if (ok) {
        // upload now so the comparison with the exam photo is shown before the staff confirm
        await uploadAndCheck();
      }
    } catch (err) {
      if (isExpired(err)) { close(); return; }
      clear(report);
      setMessage(msg, "error", err.status === 413 ? "照片文件过大,请选择不超过 8 MB 的照片" : messageFor(err));
    } finally {
      input.value = "";
    }
  });

  async function uploadAndCheck() {
    const p = progress("正在上传并比对…");
    report.append(p.node);
    const presigned = await api.post(`/members/${encodeURIComponent(no)}/photo/uploads`, {});
    await postPresigned(presigned, dataUrlToBlob(candidate), "photo.jpg", (f) => p.set(f * 0.5, `正在上传…${Math.round(f * 100)}%`));
    p.set(0.5, "正在检查规格并与全科合格照片比对…");
    const result = await pollUpload(api, `/members/${encodeURIComponent(no)}/photo/uploads/${encodeURIComponent(presigned.upload_id)}`,
      { onTick: (s) => p.set(Math.min(0.95, 0.5 + s / 60), `正在检查规格并与全科合格照片比对…(${Math.round(s)} 秒)`) });
    upload = { id: presigned.upload_id, result };
    p.node.remove();
    const score = typeof result.score === "number" ? h("p", { class: "small muted" }, scoreText(result.score, result.engine)) : null;
    clear(report, h("h3", {}, "检查报告"), checkReport(result.checks || []), score,
      result.status === "accepted"
        ? alertBox("info", null, "照片符合规格。请核对两张照片是否为同一人,确认后点击“确认上传”。")
        : alertBox("error", "照片未通过检查", h("p", {}, result.message || "请更换照片后重试。")));
    confirm.disabled = result.status !== "accepted";
    if (!confirm.disabled) confirm.focus();
  }

  confirm.addEventListener("click", () => busy(confirm, "正在保存…", async () => {
    clear(msg);
    try {
      await api.post(`/members/${encodeURIComponent(no)}/photo/uploads/${encodeURIComponent(upload.id)}/confirm`, {});
      changed = true;
      clear(report, alertBox("success", "上传成功", h("p", {}, "该照片已设为会员证照片。")));
      confirm.disabled = true;
    } catch (err) {
      if (isExpired(err)) { close(); return; }
      setMessage(msg, "error", messageFor(err));
    }
  }).then(() => { if (changed) confirm.disabled = true; }));

  useRef.addEventListener("click", () => busy(useRef, "正在处理…", async () => {
    clear(msg);
    try {
      const res = await api.post(`/members/${encodeURIComponent(no)}/photo/use-reference`, {});
      changed = true;
      clear(report, alertBox("success", "已使用全科合格照片", h("p", {}, "全科合格照片已调整为会员证规格并设为会员证照片。")),
        res.checks ? checkReport(res.checks) : null);
    } catch (err) {
      if (isExpired(err)) { close(); return; }
      clear(report, alertBox("error", messageFor(err), err.body && err.body.checks ? checkReport(err.body.checks) : null));
    }
  }));
}

// ---------------------------------------------------------------------------------------------
// applications

const APP_STATUS = { pending: "待审核", approved: "已通过", rejected: "已驳回" };
let appFilter = "pending";

async function showApplications() {
  const view = $('[data-view="applications"]');
  const filter = h("select", { id: "app-status", class: "select-small" },
    [["pending", "待审核"], ["approved", "已通过"], ["rejected", "已驳回"], ["", "全部"]].map(([v, t]) => h("option", { value: v, selected: v === appFilter }, t)));
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
      clear(list, h("table", { class: "data-table" }, h("caption", { class: "sr-only" }, "入会申请"),
        h("thead", {}, h("tr", {}, ["申请时间", "姓名", "性别", "证件类型", "证件号码", "移动电话", "状态", "操作"].map((t) => h("th", { scope: "col" }, t)))), tbody));
    }
    for (const a of items) tbody.append(applicationRow(a));
    clear(more, res.next_cursor ? h("button", { type: "button", class: "btn btn-small", onclick: () => load(res.next_cursor) }, "加载更多") : null);
  };
  await load(undefined);
}

function applicationRow(a) {
  const id = a.app_id || a.application_id || a.id;
  const pending = !a.status || a.status === "pending";
  return h("tr", {},
    h("td", { class: "nowrap" }, formatTime(a.created_at)),
    h("td", {}, a.name || ""),
    h("td", {}, a.gender || ""),
    h("td", {}, a.id_type || ""),
    h("td", { class: "mono" }, a.id_number || ""),
    h("td", { class: "mono" }, a.mobile || ""),
    h("td", {}, h("span", { class: `badge ${a.status === "approved" ? "badge-ok" : a.status === "rejected" ? "badge-bad" : "badge-info"}` },
      APP_STATUS[a.status] || a.status || "待审核"), a.member_no ? h("span", { class: "mono small" }, ` ${a.member_no}`) : null),
    h("td", { class: "row-actions" },
      h("button", { type: "button", class: "btn btn-small", onclick: () => applicationDetail(id) }, "查看"),
      pending ? h("button", { type: "button", class: "btn btn-small btn-secondary", onclick: (e) => approve(id, a, e.currentTarget) }, "通过") : null,
      pending ? h("button", { type: "button", class: "btn btn-small btn-danger", onclick: () => reject(id, a) }, "驳回") : null));
}

async function applicationDetail(id) {
  const { body, close } = modal("入会申请详情", { wide: true });
  body.append(progress("正在加载…").node);
  try {
    const a = await api.get(`/applications/${encodeURIComponent(id)}`);
    const values = { ...(a.fields || {}), association: a.association, association_name: a.association_name };
    clear(body,
      h("p", {}, h("strong", {}, a.name || ""), " · ", APP_STATUS[a.status] || a.status || "", " · 申请时间 ", formatTime(a.created_at)),
      a.duplicate ? alertBox("warning", "该证件号码已登记为会员", h("p", {}, "请核实是否重复申请。")) : null,
      a.reason ? alertBox("info", "驳回原因", h("p", {}, a.reason)) : null,
      (a.missing || []).length ? alertBox("warning", "申请信息不完整", h("p", {}, "尚未填写:", a.missing.map((m) => m.label).join("、"))) : null,
      recordView(state.meta, values, { missing: a.missing || [] }),
      a.status === "pending" ? h("div", { class: "actions actions-end" },
        h("button", { type: "button", class: "btn btn-secondary", onclick: (e) => { close(); approve(id, a, e.currentTarget); } }, "通过"),
        h("button", { type: "button", class: "btn btn-danger", onclick: () => { close(); reject(id, a); } }, "驳回")) : null);
  } catch (err) {
    clear(body, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
  }
}

async function approve(id, p, btn) {
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

async function reject(id, p) {
  const reason = await ask("驳回入会申请", { prompt: `驳回 ${p.name || ""} 的入会申请。驳回原因将通过邮件告知申请人。`, reasonLabel: "驳回原因", confirmLabel: "确认驳回", danger: true });
  if (!reason) return;
  try {
    await api.post(`/applications/${encodeURIComponent(id)}/reject`, { reason });
    flash = alertBox("success", null, "已驳回该申请");
    showApplications();
  } catch (err) {
    if (!isExpired(err)) toast(alertBox("error", "操作失败", h("p", {}, messageFor(err))));
  }
}

// ---------------------------------------------------------------------------------------------
// photo review queue

async function showReviews() {
  const view = $('[data-view="reviews"]');
  const list = h("div", { class: "review-list", "aria-live": "polite" }, progress("正在加载待审核照片…").node);
  clear(view, ...pageHead("照片审核", h("button", { type: "button", class: "btn", onclick: showReviews }, "刷新")),
    h("p", { class: "muted" }, "会员多次人脸比对未通过的照片在此人工审核:请对比两张照片是否为同一人并符合证件照要求。"), list);
  showView("reviews");
  let res;
  try {
    res = await api.get("/reviews");
  } catch (err) {
    if (!isExpired(err)) clear(list, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
    return;
  }
  const items = res.items || [];
  if (!items.length) { clear(list, h("div", { class: "card empty" }, "暂无待审核的照片")); return; }
  clear(list);
  for (const r of items) list.append(reviewCard(r));
}

function reviewCard(r) {
  const id = r.review_id || r.upload_id || r.id;
  const refFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, "全科合格照片 / 上次照片"));
  const upFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, "会员上传照片"));
  if (r.has_reference === false) refFig.firstChild.replaceWith(h("div", { class: "photo-empty" }, "无全科合格照片"));
  else authImage(api, `/members/${encodeURIComponent(r.member_no)}/photo`, "全科合格照片", { kind: "reference" }).then(({ img, ok }) => {
    refFig.firstChild.replaceWith(ok ? img : h("div", { class: "photo-empty" }, "无全科合格照片"));
  });
  authImage(api, `/reviews/${encodeURIComponent(id)}/photo`, "会员上传照片").then(({ img, ok }) => {
    upFig.firstChild.replaceWith(ok ? img : h("div", { class: "photo-empty" }, "获取照片信息失败"));
  });
  const score = typeof r.score === "number" ? scoreText(r.score, r.engine) : "未能比对";
  const out = h("div", { "aria-live": "polite" });
  const accept = h("button", { type: "button", class: "btn btn-primary" }, "审核通过");
  const rejectBtn = h("button", { type: "button", class: "btn btn-danger" }, "驳回");
  const card = h("article", { class: "card review-card", "aria-label": `照片审核 ${r.name || r.member_no}` },
    h("div", { class: "review-head" }, h("h2", {}, r.name || "", h("span", { class: "mono detail-no" }, r.member_no)),
      h("span", { class: "muted small" }, "提交时间:", formatTime(r.created_at))),
    h("div", { class: "review-body" }, refFig, upFig,
      h("div", { class: "review-facts" },
        h("p", { class: "score" }, h("strong", {}, score)),
        r.message ? h("p", { class: "small" }, r.message) : null,
        checkReport(r.checks || [], { showHelp: false }))),
    out, h("div", { class: "actions actions-end" }, accept, rejectBtn));
  accept.addEventListener("click", async () => {
    const ok = await ask("审核通过", { prompt: `确认两张照片为同一人,并将上传照片设为 ${r.name || r.member_no} 的会员证照片?`, confirmLabel: "确认通过" });
    if (ok) decide(id, true, "", card, out);
  });
  rejectBtn.addEventListener("click", async () => {
    const reason = await ask("驳回照片", { reasonLabel: "驳回原因(将告知会员)", confirmLabel: "确认驳回", danger: true });
    if (reason) decide(id, false, reason, card, out);
  });
  return card;
}

async function decide(id, ok, reason, card, out) {
  try {
    await api.post(`/reviews/${encodeURIComponent(id)}/${ok ? "accept" : "reject"}`, ok ? {} : { reason });
    clear(card, alertBox("success", null, ok ? "已审核通过,照片已设为会员证照片" : "已驳回,会员可重新上传照片"));
  } catch (err) {
    if (!isExpired(err)) setMessage(out, "error", messageFor(err));
  }
}

// ---------------------------------------------------------------------------------------------
// import / export / bulk

function showData() {
  const view = $('[data-view="data"]');
  const picker = filePicker("import-file", "选择 Excel 文件", { accept: ".xlsx," + XLSX, describedBy: "import-file-err" });
  const file = picker.input;
  const fileErr = h("p", { class: "field-error", id: "import-file-err", hidden: true });
  const check = h("button", { type: "button", class: "btn btn-secondary", id: "import-check" }, "校验数据");
  const commit = h("button", { type: "button", class: "btn btn-primary", id: "import-commit", disabled: true }, "确认导入");
  const report = h("div", { class: "import-report", "aria-live": "polite" });
  const template = h("button", { type: "button", class: "btn", id: "import-template" }, "下载导入模板");
  const exportBtn = h("button", { type: "button", class: "btn", id: "export-all" }, "导出全部会员(Excel)");

  clear(view, ...pageHead("导入与导出"),
    h("section", { class: "card", "aria-labelledby": "imp-title" },
      h("h2", { id: "imp-title", class: "card-title" }, "批量导入会员"),
      h("ol", { class: "steps" },
        h("li", {}, "下载导入模板,按模板填写会员信息(一行一名会员,带 * 的列为必填)。 ", template),
        h("li", {}, "选择填好的 Excel 文件,点击“校验数据”,系统逐行检查并列出问题(不会写入数据)。"),
        h("li", {}, "全部无误后点击“确认导入”,系统为每名会员生成会员证书编号。")),
      h("div", { class: "field" }, h("span", { class: "label" }, "Excel 文件(.xlsx)"), picker.node, fileErr),
      h("div", { class: "actions" }, check, commit), report),
    h("section", { class: "card", "aria-labelledby": "exp-title" },
      h("h2", { id: "exp-title", class: "card-title" }, "导出"),
      h("p", { class: "muted" }, "导出本协会全部会员信息(Excel)。按条件导出请在会员列表筛选后点击“导出 Excel”。"), exportBtn),
    h("section", { class: "card", "aria-labelledby": "bulk-title" },
      h("h2", { id: "bulk-title", class: "card-title" }, "批量下载会员证"),
      h("p", { class: "muted" }, "在会员列表中勾选会员后点击“批量下载所选会员证”,或按筛选条件批量下载(仅信息完整的会员),系统生成 ZIP 压缩包,并附未能生成的会员名单。"),
      h("a", { class: "btn", href: "#/members" }, "前往会员列表")));
  showView("data");

  template.addEventListener("click", () => busy(template, "正在下载…", async () => {
    try {
      const f = await api.get("/members/import-template", { accept: XLSX, filename: "会员导入模板.xlsx" });
      toast(alertBox("success", "模板已下载", saveBlob(f.blob, f.filename)));
    } catch (err) { if (!isExpired(err)) toast(alertBox("error", "下载失败", h("p", {}, messageFor(err)))); }
  }));
  exportBtn.addEventListener("click", () => busy(exportBtn, "正在导出…", async () => {
    try {
      const f = await api.get("/members/export", { accept: XLSX, filename: "会员信息导出.xlsx" });
      toast(alertBox("success", "导出完成", saveBlob(f.blob, f.filename)));
    } catch (err) { if (!isExpired(err)) toast(alertBox("error", "导出失败", h("p", {}, messageFor(err)))); }
  }));

  let checkedFile = null;
  file.addEventListener("change", () => { commit.disabled = true; checkedFile = null; clear(report); fileErr.hidden = true; });
  const send = async (mode) => {
    const f = file.files && file.files[0];
    if (!f) { fileErr.textContent = "请选择 Excel 文件"; fileErr.hidden = false; file.focus(); return null; }
    if (!/\.xlsx$/i.test(f.name)) { fileErr.textContent = "请选择 .xlsx 格式的 Excel 文件"; fileErr.hidden = false; file.focus(); return null; }
    return api.request("POST", "/members/imports", { query: { mode }, body: f, contentType: XLSX });
  };
  check.addEventListener("click", () => busy(check, "正在校验…", async () => {
    const p = progress("正在逐行校验…");
    clear(report, p.node);
    try {
      const res = await send("dry_run");
      if (!res) { clear(report); return; }
      const { ok } = renderImportReport(report, res, "dry_run");
      checkedFile = file.files[0];
      commit.disabled = !ok;
    } catch (err) {
      if (!isExpired(err)) clear(report, alertBox("error", "校验失败", h("p", {}, messageFor(err)), importErrors(err.body)));
    }
  }));
  commit.addEventListener("click", () => busy(commit, "正在导入…", async () => {
    if (!checkedFile || checkedFile !== file.files[0]) { setMessage(report, "warning", "请先校验数据"); return; }
    const p = progress("正在导入,请勿关闭页面…");
    const started = Date.now();
    const timer = setInterval(() => p.label(`正在导入,请勿关闭页面…(已用时 ${Math.round((Date.now() - started) / 1000)} 秒)`), 1000);
    clear(report, p.node);
    try {
      const res = await send("commit");
      renderImportReport(report, res, "commit");
    } catch (err) {
      if (isExpired(err)) return;
      if (err instanceof ApiError && err.code === "IMPORT_INVALID") {
        renderImportReport(report, err.body, "dry_run");
        report.prepend(alertBox("error", "未导入", h("p", {}, messageFor(err))));
      } else clear(report, alertBox("error", "导入失败", h("p", {}, messageFor(err)), importErrors(err.body)));
    } finally {
      clearInterval(timer);
      commit.disabled = true;
    }
  }));
}

/**
 * The import report: {ok, rows, create, update, unchanged, error_count, error_rows,
 * errors:[{row, column, cell, key, message}], ignored_columns}; after a commit also
 * {created, updated, new_members:[{row, member_no, name}], conflicts:[{row, member_no, message}]}.
 */
function renderImportReport(container, res, mode) {
  const errors = res.errors || [];
  const empty = res.rows === 0;
  const ok = res.ok !== false && !errors.length && !empty;
  const counts = `共 ${res.rows ?? 0} 行:新增 ${res.create ?? 0} 名,更新 ${res.update ?? 0} 名,无变化 ${res.unchanged ?? 0} 名`;
  const parts = [];
  if (mode === "commit" && res.committed) {
    const conflicts = res.conflicts || [];
    parts.push(alertBox(conflicts.length ? "warning" : "success", "导入完成",
      h("p", {}, `新增会员 ${res.created ?? 0} 名,更新 ${res.updated ?? 0} 名。`,
        conflicts.length ? `${conflicts.length} 行因信息已被他人修改未导入。` : ""),
      h("p", { class: "small" }, "新增会员暂无登录密码:请在会员详情中为其生成初始密码,或由会员通过“忘记密码”自助设置。")));
    if ((res.new_members || []).length) {
      parts.push(h("table", { class: "data-table import-table" }, h("caption", {}, "新增会员"),
        h("thead", {}, h("tr", {}, ["行号", "姓名", "会员证书编号"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, res.new_members.map((m) => h("tr", {}, h("td", {}, String(m.row)), h("td", {}, m.name || ""),
          h("td", { class: "mono" }, h("a", { href: `#/members/${encodeURIComponent(m.member_no)}` }, m.member_no)))))));
    }
    if (conflicts.length) {
      parts.push(h("ul", {}, conflicts.map((c) => h("li", {}, `第 ${c.row} 行(${c.member_no}):${c.message}`))));
    }
  } else {
    parts.push(empty ? alertBox("warning", "文件中没有会员数据", h("p", {}, "请在模板的会员信息表中逐行填写会员信息后再校验。"))
      : alertBox(ok ? "success" : "warning", ok ? "校验通过" : "校验发现问题",
      h("p", {}, counts, "。"),
      ok ? h("p", {}, "未写入任何数据。确认无误后请点击“确认导入”。")
        : h("p", {}, `有问题 ${res.error_rows ?? ""} 行(${res.error_count ?? errors.length} 处)。请修改 Excel 文件后重新选择并校验。`)));
  }
  if ((res.ignored_columns || []).length) {
    parts.push(alertBox("info", null, `以下列不在模板中,已忽略:${res.ignored_columns.join("、")}`));
  }
  if (errors.length) {
    parts.push(h("table", { class: "data-table import-table" }, h("caption", {}, "问题明细(按行)"),
      h("thead", {}, h("tr", {}, ["行号", "单元格", "字段", "问题"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, errors.map((e) => h("tr", { class: "row-bad" },
        h("td", {}, String(e.row ?? "")), h("td", { class: "mono" }, e.cell || ""), h("td", {}, e.column || e.key || ""),
        h("td", {}, e.message || ""))))));
    if ((res.error_count ?? 0) > errors.length) parts.push(h("p", { class: "muted small" }, `仅列出前 ${errors.length} 处问题。`));
  }
  clear(container, ...parts);
  return { ok };
}

function importErrors(body) {
  if (!body || !Array.isArray(body.errors) || !body.errors.length) return null;
  return h("ul", {}, body.errors.slice(0, 50).map((e) => h("li", {}, e.row ? `第 ${e.row} 行 ${e.cell || ""}:` : "", e.message || "")));
}

// ---------------------------------------------------------------------------------------------

$("#logout").addEventListener("click", logout);
$("#change-password").addEventListener("click", () => showChangePassword(false));
window.addEventListener("hashchange", () => { if (api.token) route(); });
if (api.token) {
  if (api.user && api.user.must_change_password) showChangePassword(true);
  else start();
} else {
  showLogin();
}

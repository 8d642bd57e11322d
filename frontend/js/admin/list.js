/**
 * The member list (the landing view): filters, paging, selection, Excel export and bulk
 * certificates of the selected or filtered members.
 */
import { messageFor } from "../api.js";
import {
  $, $$, alertBox, clear, completeBadge, formatTime, h, photoBadge, progress, showView, statusBadge, statusLabels,
} from "../ui.js";
import { startJob } from "./jobs.js";
import { api, assocName, isExpired, PAGE_SIZES, pageHead, state } from "./state.js";

export function listQuery(cursor) {
  const f = state.list.filters;
  return { limit: state.list.limit, cursor: cursor || undefined, q: f.q, photo_status: f.photo_status, complete: f.complete, status: f.status };
}

export async function showMembers() {
  const view = $('[data-view="members"]');
  const L = state.list;
  const q = h("input", { type: "search", id: "flt-q", value: L.filters.q, placeholder: "姓名 / 会员证书编号 / 证件号码", maxlength: "64" });
  const sel = (id, label, value, opts) => h("div", { class: "field" }, h("label", { for: id }, label),
    h("select", { id }, opts.map(([v, t]) => h("option", { value: v, selected: v === value }, t))));
  const filters = h("form", { class: "filters card", role: "search", "aria-label": "筛选会员" },
    h("div", { class: "field field-wide" }, h("label", { for: "flt-q" }, "关键字"), q),
    sel("flt-photo", "照片状态", L.filters.photo_status, [["", "全部"], ...Object.entries(statusLabels(state.meta, "photo"))]),
    sel("flt-complete", "信息完整性", L.filters.complete, [["", "全部"], ["true", "完整"], ["false", "不完整"]]),
    sel("flt-status", "会籍状态", L.filters.status, [["", "全部"], ...Object.entries(statusLabels(state.meta, "member"))]),
    h("div", { class: "filter-actions" },
      h("button", { type: "submit", class: "btn btn-secondary" }, "查询"),
      h("button", { type: "button", class: "btn", id: "flt-reset" }, "重置")));
  const table = h("div", { class: "table-wrap", "aria-live": "polite" });
  const pager = h("div", { class: "pager" });
  const bulk = h("div", { class: "bulk-bar" });
  clear(view, ...pageHead("非执业电子会员证",
    h("a", { class: "btn btn-secondary", href: "#/members/new", id: "create-btn" }, "录入会员"),
    h("button", { type: "button", class: "btn", id: "export-btn", onclick: () => exportMembers() }, "导出 Excel")),
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

export async function loadPage(table, pager, bulk) {
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
        h("td", { class: "mono num col-no", "data-label": "会员证书编号" }, m.member_no),
        h("td", { class: "col-name", "data-label": "姓名" }, link),
        h("td", { class: "col-gender", "data-label": "性别" }, m.gender || ""),
        h("td", { class: "mono num col-id", "data-label": "证件号码" }, m.id_number || ""),
        h("td", { class: "col-assoc", "data-label": "所属协会" }, m.association_name || assocName(m.association)),
        h("td", { class: "col-badge", "data-label": "照片" }, photoBadge(state.meta, m.photo_status)),
        h("td", { class: "col-badge", "data-label": "信息" }, completeBadge(m.complete)),
        h("td", { class: "col-badge", "data-label": "会籍" }, statusBadge(state.meta, m.status)),
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

export function renderBulk(bulk) {
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


export async function exportMembers() {
  const f = state.list.filters;
  const filter = Object.fromEntries(Object.entries({ q: f.q, photo_status: f.photo_status, complete: f.complete, status: f.status }).filter(([, v]) => v));
  await startJob({ kind: "export", filter }, "导出 Excel", exportDone);
}

export function exportDone(job, link) {
  return [alertBox("success", "导出完成", h("p", {}, `共导出 ${job.total} 名会员。`),
    h("p", {}, h("a", { class: "btn btn-primary", href: link.url, download: link.filename || "", id: "export-xlsx" }, "下载 Excel 文件")),
    h("p", { class: "muted small" }, "下载链接 10 分钟内有效;过期后可在“导入与导出”页的后台任务中再次下载。"))];
}


// ---------------------------------------------------------------------------------------------
// bulk certificates

/**
 * Certificates of many members as one ZIP, made by a server-side job (see jobs.js): the dialog
 * follows its progress; the ZIP's report.csv lists the members that could not get a certificate.
 * selection: {member_nos: [...]} or {filter: {...}, only_complete: true}.
 */
export async function bulkCertificates(selection, bulk, label) {
  try {
    await startJob({ kind: "bulk_certs", ...selection }, `批量下载${label}`, (job, link) => {
      const ok = job.total - (job.failed || 0);
      return [alertBox(job.failed ? "warning" : "success", "会员证已生成",
        h("p", {}, `共 ${job.total} 名会员:成功 ${ok} 份`, job.failed ? `,${job.failed} 名未能生成(原因见压缩包内的 report.csv)` : "", "。"),
        h("p", {}, h("a", { class: "btn btn-primary", href: link.url, download: link.filename || "", id: "bulk-zip" }, "下载 ZIP 压缩包")),
        h("p", { class: "muted small" }, "下载链接 10 分钟内有效。"))];
    });
  } finally {
    if (bulk) renderBulk(bulk);
  }
}

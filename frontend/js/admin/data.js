/**
 * Import and export: the Excel template, a dry run with its report, then the commit.
 */
import { messageFor } from "../api.js";
import { $, alertBox, busy, clear, filePicker, h, progress, saveBlob, setMessage, showView } from "../ui.js";
import { jobsPanel, startJob } from "./jobs.js";
import { exportDone } from "./list.js";
import { api, isExpired, pageHead, toast, XLSX } from "./state.js";

export function showData() {
  const view = $('[data-view="data"]');
  const picker = filePicker("import-file", "选择 Excel 文件", { accept: ".xlsx," + XLSX, describedBy: "import-file-err" });
  const file = picker.input;
  const fileErr = h("p", { class: "field-error", id: "import-file-err", hidden: true });
  const check = h("button", { type: "button", class: "btn btn-secondary", id: "import-check" }, "校验数据");
  const commit = h("button", { type: "button", class: "btn btn-primary", id: "import-commit", disabled: true }, "确认导入");
  const report = h("div", { class: "import-report", "aria-live": "polite" });
  const template = h("button", { type: "button", class: "btn", id: "import-template" }, "下载导入模板");
  const exportBtn = h("button", { type: "button", class: "btn", id: "export-all" }, "导出全部会员(Excel)");

  clear(view, ...pageHead("导入与导出"), jobsPanel(),
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
  exportBtn.addEventListener("click", async () => {
    await startJob({ kind: "export", filter: {} }, "导出全部会员", exportDone);
    showData(); // the jobs panel shows the new job
  });

  let checkedFile = null;
  let uploadId = null; // the dry run's stored copy of checkedFile
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
      uploadId = res.upload_id || null;
      commit.disabled = !ok || !uploadId;
    } catch (err) {
      if (!isExpired(err)) clear(report, alertBox("error", "校验失败", h("p", {}, messageFor(err)), importErrors(err.body)));
    }
  }));
  // The commit is a server-side job (it runs on without this page); the file checked by the
  // dry run is the one the job imports (`upload_id`).
  commit.addEventListener("click", async () => {
    if (!checkedFile || checkedFile !== file.files[0] || !uploadId) { setMessage(report, "warning", "请先校验数据"); return; }
    commit.disabled = true;
    const id = uploadId;
    uploadId = null;
    await startJob({ kind: "import", upload_id: id }, "导入会员信息", importDone);
    showData(); // the jobs panel shows the new job
  });
}

/**
 * The import report: {ok, rows, create, update, unchanged, error_count, error_rows,
 * errors:[{row, column, cell, key, message}], ignored_columns}; after a commit also
 * {created, updated, new_members:[{row, member_no, name}], conflicts:[{row, member_no, message}]}.
 */
export function renderImportReport(container, res, mode) {
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

export function importErrors(body) {
  if (!body || !Array.isArray(body.errors) || !body.errors.length) return null;
  return h("ul", {}, body.errors.slice(0, 50).map((e) => h("li", {}, e.row ? `第 ${e.row} 行 ${e.cell || ""}:` : "", e.message || "")));
}

/** What a finished import job offers: its counts, the new members' numbers and the failed rows. */
function importDone(job, link) {
  const created = job.total - job.failed;
  return [alertBox(job.failed ? "warning" : "success", "导入完成",
    h("p", {}, `共 ${job.total} 行,已导入 ${created} 行` + (job.failed ? `,${job.failed} 行未导入(见问题清单)` : "") + "。"),
    h("p", {}, h("a", { class: "btn btn-primary", href: link.url, download: link.filename || "", id: "import-new-members" }, "下载新建会员名单(含会员证书编号)")),
    h("p", { class: "muted small" }, "下载链接 10 分钟内有效;过期后及未导入行的问题清单可在本页的后台任务中下载。"))];
}

/**
 * Import and export: the Excel template, the check of a file (a dry run) with its report, then the import.
 *
 * The file goes straight to S3 with a presigned POST (with upload progress; up to the size the
 * server names, far above the API's 6 MB request limit) and is checked by an "import_check" job,
 * because a file of tens of thousands of rows takes longer to check than one API request may
 * run. The import itself is a job on the checked file. Both run on without this page; the jobs
 * panel shows them, and a finished check can be opened from there after a reload.
 */
import { ApiError, messageFor } from "../api.js";
import { postPresigned } from "../photo.js";
import { $, alertBox, busy, clear, filePicker, h, progress, saveBlob, setMessage, showView } from "../ui.js";
import { followJob, jobsPanel, startJob } from "./jobs.js";
import { exportDone } from "./list.js";
import { api, isExpired, pageHead, toast, XLSX } from "./state.js";

const MB = 1024 * 1024;
const megabytes = (bytes) => `${(bytes / MB).toFixed(1)} MB`;

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

  let uploadId = null; // the checked file's stored copy: what the import job imports
  const showCheck = async (id) => {
    try {
      const res = await api.get(`/members/imports/${encodeURIComponent(id)}`);
      const { ok } = renderImportReport(report, res);
      uploadId = res.upload_id || id;
      commit.disabled = !ok;
      report.scrollIntoView({ block: "nearest" });
    } catch (err) {
      if (!isExpired(err)) clear(report, alertBox("error", "校验结果加载失败", h("p", {}, messageFor(err))));
    }
  };
  const jobs = jobsPanel({ import_check: { label: "查看校验结果", open: (job) => showCheck(job.upload_id) } });

  clear(view, ...pageHead("导入与导出"), jobs,
    h("section", { class: "card", "aria-labelledby": "imp-title" },
      h("h2", { id: "imp-title", class: "card-title" }, "批量导入会员"),
      h("ol", { class: "steps" },
        h("li", {}, "下载导入模板,按模板填写会员信息(一行一名会员,带 * 的列为必填)。 ", template),
        h("li", {}, "选择填好的 Excel 文件,点击“校验数据”:文件上传后由系统逐行检查并列出问题(不会写入数据;数万行的文件约需一两分钟,关闭页面不影响,可在“后台任务”中查看校验结果)。"),
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

  file.addEventListener("change", () => { commit.disabled = true; uploadId = null; clear(report); fileErr.hidden = true; });
  const chosen = () => {
    const f = file.files && file.files[0];
    const problem = !f ? "请选择 Excel 文件" : (!/\.xlsx$/i.test(f.name) ? "请选择 .xlsx 格式的 Excel 文件" : "");
    if (problem) { fileErr.textContent = problem; fileErr.hidden = false; file.focus(); return null; }
    return f;
  };
  check.addEventListener("click", () => busy(check, "正在校验…", async () => {
    const f = chosen();
    if (!f) return;
    const up = progress("正在上传文件…");
    clear(report, up.node);
    try {
      const post = await api.post("/members/imports/uploads", {});
      const tooBig = `文件超过 ${Math.floor(post.max_bytes / MB)} MB,请分成多个文件导入`;
      if (f.size > post.max_bytes) { clear(report, alertBox("error", "校验失败", h("p", {}, tooBig))); return; }
      await postPresigned(post, f, f.name, (x) => up.set(x, `正在上传文件 ${megabytes(x * f.size)} / ${megabytes(f.size)}`),
        { tooBig, failed: "文件上传失败,请重新选择文件后再试", network: "文件上传失败,请检查网络后重试" });
      const checking = progress("正在逐行校验文件…");
      clear(report, checking.node);
      let job = await api.post("/jobs", { kind: "import_check", upload_id: post.upload_id });
      jobs.refresh();
      job = await followJob(job, (j, f, text) => (j.total ? checking.set(f, text) : checking.label(text)),
        () => !report.isConnected);
      jobs.refresh();
      if (!report.isConnected || (file.files && file.files[0]) !== f) return; // left the page, or chose another file
      if (job.status !== "done") {
        clear(report, alertBox("error", "校验失败", h("p", {}, job.message || "校验未完成,请重新校验")));
        return;
      }
      await showCheck(post.upload_id);
    } catch (err) {
      if (isExpired(err)) return;
      const running = err instanceof ApiError && err.code === "JOB_RUNNING";
      clear(report, alertBox(running ? "warning" : "error", running ? "已有文件正在校验" : "校验失败",
        h("p", {}, messageFor(err)), importErrors(err.body)));
    }
  }));
  // The import is a server-side job (it runs on without this page) on the file the check read.
  commit.addEventListener("click", async () => {
    if (!uploadId) { setMessage(report, "warning", "请先校验数据"); return; }
    commit.disabled = true;
    const id = uploadId;
    uploadId = null;
    await startJob({ kind: "import", upload_id: id }, "导入会员信息", importDone);
    showData(); // the jobs panel shows the new job
  });
}

/**
 * The check report: {ok, rows, create, update, unchanged, error_count, error_rows,
 * errors:[{row, column, cell, key, message}], ignored_columns}.
 */
export function renderImportReport(container, res) {
  const errors = res.errors || [];
  const empty = res.rows === 0;
  const ok = res.ok !== false && !errors.length && !empty;
  const counts = `共 ${res.rows ?? 0} 行:新增 ${res.create ?? 0} 名,更新 ${res.update ?? 0} 名,无变化 ${res.unchanged ?? 0} 名`;
  const parts = [];
  parts.push(empty ? alertBox("warning", "文件中没有会员数据", h("p", {}, "请在模板的会员信息表中逐行填写会员信息后再校验。"))
    : alertBox(ok ? "success" : "warning", ok ? "校验通过" : "校验发现问题",
    h("p", {}, counts, "。"),
    ok ? h("p", {}, "未写入任何数据。确认无误后请点击“确认导入”。")
      : h("p", {}, `有问题 ${res.error_rows ?? ""} 行(${res.error_count ?? errors.length} 处)。请修改 Excel 文件后重新选择并校验。`)));
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

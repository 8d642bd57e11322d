/**
 * Server-side jobs (export, import, the check of an import file, bulk certificates): started by one request, run by queue workers,
 * watched here by polling GET /jobs/{id}. Closing the dialog or the tab does not stop a job; the
 * jobs panel (导入与导出) lists the latest jobs with their progress, results and failure reports.
 */
import { ApiError, messageFor } from "../api.js";
import { alertBox, clear, formatTime, h, modal, progress, sleep, statusLabels } from "../ui.js";
import { api, isExpired, state, toast } from "./state.js";

const POLL_MS = 1500;
const ACTIVE = new Set(["planning", "running", "assembling"]);
/** The job status labels, from GET /meta (statuses.job). */
const statusLabel = (status) => (state.meta ? statusLabels(state.meta, "job")[status] : "") || status;

export function isActive(job) { return ACTIVE.has(job.status); }

function duration(seconds) {
  if (seconds == null) return "";
  if (seconds < 60) return `${seconds} 秒`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} 分 ${seconds % 60} 秒` : `${Math.floor(m / 60)} 小时 ${m % 60} 分`;
}

/** "1,200 / 60,000 · 每秒 350 条 · 预计还需 2 分 48 秒" */
export function progressText(job) {
  if (job.kind === "import_check") return checkText(job);
  if (job.status === "planning") return "正在准备…";
  if (job.status === "assembling") return `正在生成文件(${job.total} 条)…`;
  const parts = [`${job.done.toLocaleString()} / ${job.total.toLocaleString()}`];
  if (job.rate_per_s) parts.push(`每秒 ${job.rate_per_s} 条`);
  if (job.eta_s != null && isActive(job)) parts.push(`预计还需 ${duration(job.eta_s)}`);
  if (job.failed) parts.push(`未成功 ${job.failed}`);
  return parts.join(" · ");
}

/** A file check reports rows checked / total while it runs (the job stays "planning" meanwhile). */
function checkText(job) {
  if (job.status === "done") return job.total ? `校验完成(${job.total.toLocaleString()} 行)` : "校验完成";
  if (!isActive(job)) return "";
  if (!job.total) return "正在读取文件…";
  const parts = [`已校验 ${job.done.toLocaleString()} / ${job.total.toLocaleString()} 行`];
  if (job.rate_per_s) parts.push(`每秒 ${job.rate_per_s} 行`);
  if (job.eta_s != null) parts.push(`预计还需 ${duration(job.eta_s)}`);
  return parts.join(" · ");
}

function fraction(job) {
  if (job.status === "done") return 1;
  return job.total ? job.done / job.total : 0;
}

/** A short-lived link to the job's result (part "report": its failure report). */
export async function resultLink(job, part = "") {
  return api.get(`/jobs/${encodeURIComponent(job.job_id)}/result`, { query: part ? { part } : {} });
}

async function openResult(job, part) {
  try {
    const link = await resultLink(job, part);
    window.location.assign(link.url);
  } catch (err) { if (!isExpired(err)) toast(alertBox("error", "下载失败", h("p", {}, messageFor(err)))); }
}

async function cancelJob(job) {
  try { return await api.post(`/jobs/${encodeURIComponent(job.job_id)}/cancel`, {}); } catch (err) {
    if (!isExpired(err)) toast(alertBox("error", "取消失败", h("p", {}, messageFor(err))));
    return null;
  }
}

function jobRow(job, refresh, opener) {
  const bar = progress(progressText(job));
  bar.set(fraction(job), progressText(job));
  const actions = h("div", { class: "actions" });
  if (isActive(job)) {
    actions.append(h("button", { type: "button", class: "btn btn-small", onclick: async () => { await cancelJob(job); refresh(); } }, "取消任务"));
  }
  if (job.has_result && opener) actions.append(h("button", { type: "button", class: "btn btn-small btn-primary", onclick: () => opener.open(job) }, opener.label));
  else if (job.has_result) actions.append(h("button", { type: "button", class: "btn btn-small btn-primary", onclick: () => openResult(job) }, "下载结果"));
  if (job.has_report) actions.append(h("button", { type: "button", class: "btn btn-small", onclick: () => openResult(job, "report") }, "下载未成功名单"));
  return h("li", { class: "job-row", "data-job": job.job_id },
    h("div", { class: "job-head" }, h("strong", {}, job.label), " ",
      h("span", { class: `badge badge-${job.status === "done" ? "ok" : job.status === "failed" ? "bad" : "info"}` }, statusLabel(job.status)),
      h("span", { class: "muted small" }, ` 开始于 ${formatTime(job.created_at)}`)),
    bar.node, job.message ? h("p", { class: "muted small" }, job.message) : null, actions);
}

/**
 * The jobs panel: the association's latest jobs, refreshed while any of them runs. openers:
 * {kind: {label, open(job)}} shows a finished job of that kind on the page instead of downloading it.
 */
export function jobsPanel(openers = {}) {
  const list = h("ul", { class: "job-list", "aria-live": "polite" });
  const node = h("section", { class: "card", "aria-labelledby": "jobs-title", id: "jobs-panel" },
    h("h2", { id: "jobs-title", class: "card-title" }, "后台任务"),
    h("p", { class: "muted" }, "导入、导出和批量下载会员证在服务器上进行,关闭页面不影响任务;完成后可在此下载结果(链接 10 分钟内有效,过期可再次点击下载)。"),
    list);
  let timer = null;
  const refresh = async () => {
    clearTimeout(timer);
    if (!node.isConnected && timer !== null) return;
    try {
      const { items } = await api.get("/jobs");
      clear(list, ...(items.length ? items.map((j) => jobRow(j, refresh, openers[j.kind])) : [h("li", { class: "muted" }, "暂无任务")]));
      if (items.some(isActive)) timer = setTimeout(refresh, POLL_MS);
    } catch (err) {
      if (!isExpired(err)) clear(list, h("li", {}, alertBox("error", "任务列表加载失败", h("p", {}, messageFor(err)))));
    }
  };
  refresh();
  node.refresh = refresh;
  return node;
}

/** Poll a job until it ends (or `stopped()` says the page no longer waits); onTick(job) on each poll. */
export async function followJob(job, onTick, stopped = () => false) {
  while (isActive(job) && !stopped()) {
    if (onTick) onTick(job, fraction(job), progressText(job));
    await sleep(POLL_MS);
    job = await api.get(`/jobs/${encodeURIComponent(job.job_id)}`);
  }
  return job;
}

/**
 * Start a job and follow it in a dialog. body: {kind: "export"|"bulk_certs"|"import", filter?, member_nos?, upload_id?,
 * only_complete?}. Closing the dialog leaves the job running (see the jobs panel).
 */
export async function startJob(body, title, describeDone) {
  let closed = false;
  const { body: box, close } = modal(title, { onClose: () => { closed = true; } });
  const p = progress("正在提交任务…");
  let job = null;
  const cancel = h("button", { type: "button", class: "btn", onclick: async () => { if (job) await cancelJob(job); close(); } }, "取消任务");
  const hide = h("button", { type: "button", class: "btn", onclick: close }, "关闭(任务在后台继续)");
  clear(box, p.node, h("p", { class: "muted small" }, "任务在服务器上进行,关闭此窗口或页面不会中断;可在“导入与导出”页查看进度和下载结果。"),
    h("div", { class: "actions actions-end" }, cancel, hide));
  const finish = (...nodes) => clear(box, ...nodes,
    h("div", { class: "actions actions-end" }, h("button", { type: "button", class: "btn", onclick: close }, "关闭")));
  try {
    job = await api.post("/jobs", body);
    job = await followJob(job, (_, f, text) => p.set(f, text), () => closed);
    if (closed) return;
    if (job.status !== "done") { finish(alertBox("warning", statusLabel(job.status) || "任务未完成", h("p", {}, job.message || ""))); return; }
    p.set(1, "已完成");
    const link = await resultLink(job);
    finish(...describeDone(job, link));
  } catch (err) {
    if (isExpired(err)) { close(); return; }
    const running = err instanceof ApiError && err.code === "JOB_RUNNING";
    if (!closed) finish(alertBox(running ? "warning" : "error", running ? "已有同类任务" : "任务失败", h("p", {}, messageFor(err)),
      running ? h("p", {}, h("a", { href: "#/data" }, "前往“导入与导出”查看任务")) : null));
  }
}

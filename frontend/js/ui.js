/** Small DOM helpers shared by the pages: element builder, views, alerts, busy states, dialogs. */
import { supportHint } from "./support.js";
import { t } from "./texts.js";

/**
 * h("button", {class: "btn", onclick: fn}, "文字", child) — attributes: class, text, html is NOT
 * supported on purpose (everything user-provided goes in as text).
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "value") node.value = v;
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Show exactly one element of a set of sibling views (data-view="name"). */
export function showView(name, root = document) {
  for (const v of $$("[data-view]", root)) v.hidden = v.dataset.view !== name;
  const view = $(`[data-view="${name}"]`, root);
  const heading = view && view.querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
  window.scrollTo(0, 0);
  return view;
}

/** An inline alert box: kind = info | success | warning | error. Errors and warnings end with the help line. */
export function alertBox(kind, title, ...body) {
  return h("div", { class: `alert alert-${kind}`, role: kind === "error" || kind === "warning" ? "alert" : "status" },
    title ? h("p", { class: "alert-title" }, title) : null, ...body,
    kind === "error" || kind === "warning" ? supportHint() : null);
}

export function setMessage(container, kind, text) {
  if (!container) return;
  if (!text) { clear(container); container.hidden = true; return; }
  container.hidden = false;
  clear(container, alertBox(kind, null, text));
}

/** Disable a button and show a spinner and a label while `work` runs. */
export async function busy(button, label, work) {
  const old = button ? button.innerHTML : "";
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), label);
  }
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.innerHTML = old;
    }
  }
}

/** A progress block: indeterminate unless set(fraction) is called. */
export function progress(label) {
  const bar = h("div", { class: "progress-bar" });
  const text = h("span", { class: "progress-label" }, label);
  const box = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100",
                         "aria-label": label },
    h("div", { class: "progress-track indeterminate" }, bar), text);
  return {
    node: box,
    set(fraction, newLabel) {
      box.firstChild.classList.remove("indeterminate");
      const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
      bar.style.width = pct + "%";
      box.setAttribute("aria-valuenow", String(pct));
      if (newLabel) { text.textContent = newLabel; box.setAttribute("aria-label", newLabel); }
    },
    label(newLabel) { text.textContent = newLabel; box.setAttribute("aria-label", newLabel); },
  };
}

/** Save a Blob as a file; also returns a visible link for browsers that block the click. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, class: "download-link" }, `保存文件:${filename}`);
  document.body.append(a);
  a.click();
  a.remove();
  const keep = h("a", { href: url, download: filename, class: "download-link" }, `如未自动下载,请点击保存「${filename}」`);
  setTimeout(() => URL.revokeObjectURL(url), 10 * 60 * 1000);
  return keep;
}

/** A modal <dialog>; returns {dialog, body, close}. Closes on Esc and on the close button. */
export function modal(title, { wide = false, onClose } = {}) {
  const body = h("div", { class: "dialog-body" });
  const closeBtn = h("button", { type: "button", class: "dialog-close", "aria-label": "关闭" }, "×");
  const dialog = h("dialog", { class: wide ? "dialog dialog-wide" : "dialog", "aria-labelledby": "" },
    h("div", { class: "dialog-head" }, h("h2", { class: "dialog-title" }, title), closeBtn), body);
  const id = "dlg-" + Math.random().toString(36).slice(2, 8);
  dialog.querySelector(".dialog-title").id = id;
  dialog.setAttribute("aria-labelledby", id);
  document.body.append(dialog);
  const close = () => { if (dialog.open) dialog.close(); };
  closeBtn.addEventListener("click", close);
  dialog.addEventListener("close", () => { dialog.remove(); if (onClose) onClose(); });
  dialog.showModal();
  return { dialog, body, close };
}

/** Ask for a confirmation or a reason in a dialog; resolves to the text (or true) or null. */
export function ask(title, { prompt, reasonLabel, confirmLabel = "确定", danger = false } = {}) {
  return new Promise((resolve) => {
    let answered = null;
    const { body, close } = modal(title, { onClose: () => resolve(answered) });
    const form = h("form", { class: "stack", novalidate: true });
    if (prompt) form.append(h("p", {}, prompt));
    let area = null;
    const err = h("p", { class: "field-error", id: "ask-err", hidden: true });
    if (reasonLabel) {
      area = h("textarea", { id: "ask-reason", rows: "3", maxlength: "500", "aria-describedby": "ask-err", required: true });
      form.append(h("div", { class: "field" }, h("label", { for: "ask-reason" }, reasonLabel, h("span", { class: "req" }, " *")), area, err));
    }
    form.append(h("div", { class: "actions" },
      h("button", { type: "submit", class: danger ? "btn btn-danger" : "btn btn-primary" }, confirmLabel),
      h("button", { type: "button", class: "btn", onclick: close }, "取消")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (area) {
        if (!area.value.trim()) {
          err.hidden = false; err.textContent = t("required_field", { label: reasonLabel });
          area.setAttribute("aria-invalid", "true"); area.focus(); return;
        }
        answered = area.value.trim();
      } else answered = true;
      close();
    });
    body.append(form);
    (area || form.querySelector("button")).focus();
  });
}

/** {value: label} for one of GET /meta's status lists: "member", "photo" or "application". */
export function statusLabels(meta, group) {
  return Object.fromEntries(meta.statuses[group].map((s) => [s.value, s.label]));
}

export function badge(kind, text) { return h("span", { class: `badge badge-${kind}` }, text); }

export function photoBadge(meta, status) {
  const kind = { accepted: "ok", none: "muted", pending: "info", rejected: "bad", review: "warn" }[status] || "muted";
  const labels = statusLabels(meta, "photo");
  return badge(kind, labels[status || "none"] || status);
}

export function completeBadge(complete) {
  return complete ? badge("ok", t("complete_label")) : badge("warn", t("incomplete_label"));
}

export function statusBadge(meta, status) {
  const kind = { active: "ok", suspended: "warn", cancelled: "bad" }[status] || "muted";
  return badge(kind, statusLabels(meta, "member")[status] || status || "");
}

/** "2026-05-01T08:30:00Z" → "2026-05-01 16:30" in the browser's zone. */
export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function dataUrlToBlob(dataUrl) {
  const [head, b64] = dataUrl.split(",", 2);
  const type = (/data:([^;]+)/.exec(head) || [])[1] || "application/octet-stream";
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A file chooser with a Chinese button and the chosen file's name (the native control shows
 * the browser's language). The real <input type=file> stays focusable and labelled.
 */
export function filePicker(id, buttonText, { accept, describedBy } = {}) {
  const input = h("input", { type: "file", id, accept, class: "file-input", "aria-describedby": describedBy });
  const name = h("span", { class: "file-name", id: id + "-name" }, "未选择文件");
  input.addEventListener("change", () => {
    const f = input.files && input.files[0];
    name.textContent = f ? f.name : "未选择文件";
  });
  const node = h("div", { class: "file-picker file-picker-inline" },
    input, h("label", { for: id, class: "btn" }, buttonText), name);
  return { node, input, name };
}
